"""Typed settings of the mocked services, read from the environment or passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, cast, get_args

Mode = Literal["ok", "down", "error500", "malformed", "slow", "flapping"]
MODES: tuple[str, ...] = get_args(Mode)

SERVICES = ("idp", "identity", "vaccination", "lab", "f0", "declarations", "workforce", "sms",
            "qr", "checkins")

GATEWAY_CLIENT_ID = "healthpass-gateway"
# A development secret: the mocks never guard anything real.
DEV_GATEWAY_CLIENT_SECRET = "dev-only-gateway-secret"


class SettingsError(ValueError):
    """An environment variable of the mocks has an unusable value."""


@dataclass(frozen=True, slots=True)
class Faults:
    """Fault knobs of one service: added latency, share of 503 answers and a failure mode."""

    latency_ms: int = 0
    failure_rate: float = 0.0
    mode: Mode = "ok"


@dataclass(frozen=True, slots=True)
class MockSettings:
    """Everything the mocks read at start; `from_env()` builds it from `MOCK_*` variables."""

    host: str = "127.0.0.1"
    port: int = 8001
    seed: int = 2021
    people: int = 20000
    reference_time: datetime | None = None
    idp_issuer: str | None = None
    idp_key_file: Path = Path(".data/dev-idp-signing-key.json")
    # repr=False: settings get logged, the secret must not be.
    gateway_client_secret: str = field(default=DEV_GATEWAY_CLIENT_SECRET, repr=False)
    faults: Mapping[str, Faults] = field(default_factory=dict, hash=False)
    # Share of accepted writes whose answer is lost (stored, then 503): MOCK_<S>_LOST_ANSWER_RATE.
    lost_answer_rates: Mapping[str, float] = field(default_factory=dict, hash=False)
    slow_seconds: float = 30.0

    @property
    def issuer(self) -> str:
        """The `iss` of every token the mock IdP signs."""
        return self.idp_issuer or f"http://{self.host}:{self.port}/idp"

    def faults_for(self, service: str) -> Faults:
        """The start-up knobs of one service (no faults unless configured)."""
        return self.faults.get(service, Faults())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MockSettings:
        """Read `MOCKS_*` / `MOCK_*` variables; unset ones keep the defaults."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            host=env.get("MOCKS_HOST", defaults.host),
            port=_int(env, "MOCKS_PORT", defaults.port),
            seed=_int(env, "MOCK_SEED", defaults.seed),
            people=_int(env, "MOCK_PEOPLE", defaults.people),
            reference_time=_instant(env, "MOCK_REFERENCE_TIME"),
            idp_issuer=env.get("MOCK_IDP_ISSUER") or None,
            idp_key_file=Path(env.get("MOCK_IDP_KEY_FILE", str(defaults.idp_key_file))),
            gateway_client_secret=env.get("MOCK_GATEWAY_CLIENT_SECRET", DEV_GATEWAY_CLIENT_SECRET),
            faults={service: _faults(env, service) for service in SERVICES},
            lost_answer_rates={s: _lost_answer_rate(env, s) for s in SERVICES},
        )


def _faults(env: Mapping[str, str], service: str) -> Faults:
    prefix = f"MOCK_{service.upper()}_"
    latency = _int(env, "MOCK_LATENCY_MS", 0)
    mode = parse_mode(env.get(prefix + "MODE", "ok"))
    if mode is None:
        raise SettingsError(f"{prefix}MODE must be one of {', '.join(MODES)}.")
    rate = _float(env, prefix + "FAILURE_RATE", 0.0)
    if not 0.0 <= rate <= 1.0:
        raise SettingsError(f"{prefix}FAILURE_RATE must be between 0 and 1, not {rate}.")
    return Faults(
        latency_ms=_int(env, prefix + "LATENCY_MS", latency),
        failure_rate=rate,
        mode=mode,
    )


def _lost_answer_rate(env: Mapping[str, str], service: str) -> float:
    name = f"MOCK_{service.upper()}_LOST_ANSWER_RATE"
    rate = _float(env, name, 0.0)
    if not 0.0 <= rate <= 1.0:
        raise SettingsError(f"{name} must be between 0 and 1, not {rate}.")
    return rate


def parse_mode(value: object) -> Mode | None:
    """`value` as a fault mode, or None when it is not one."""
    return cast(Mode, value) if value in MODES else None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}.") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, not {value}.")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}.") from None


def _instant(env: Mapping[str, str], name: str) -> datetime | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an ISO 8601 instant, not {raw!r}.") from None
    if value.tzinfo is None:
        # A naive time is ambiguous between UTC and Asia/Ho_Chi_Minh: refuse it.
        raise SettingsError(f"{name} must carry an offset, e.g. 2021-10-01T09:00:00+07:00.")
    return value
