"""Typed settings, read once from the environment.

Every knob of the gateway lives here (STYLE.md rule 9). Defaults are the embedded development
setup that `make run` starts; values marked DEVELOPMENT ONLY must be overridden in production.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEV_CLIENT_SECRET = "dev-only-gateway-secret"  # DEVELOPMENT ONLY: the mocks' default client secret
MOCKS_URL = "http://127.0.0.1:8001"


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """Where one upstream lives and how long its answers may be cached."""

    base_url: str
    cache_ttl: float
    timeout: float = 5.0


def _sources(mocks: str) -> dict[str, SourceSettings]:
    return {
        "identity": SourceSettings(f"{mocks}/identity", cache_ttl=3600.0),
        "vaccination": SourceSettings(f"{mocks}/vaccination/fhir", cache_ttl=300.0),
        "lab_results": SourceSettings(f"{mocks}/lab/fhir", cache_ttl=60.0),
        "f0_care": SourceSettings(f"{mocks}/f0", cache_ttl=60.0),
    }


@dataclass(frozen=True, slots=True)
class Settings:
    """All gateway settings. Build with `Settings.from_env()` or directly in tests."""

    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".data")
    idp_issuer: str = f"{MOCKS_URL}/idp"
    idp_jwks_url: str = f"{MOCKS_URL}/idp/.well-known/jwks.json"
    idp_token_url: str = f"{MOCKS_URL}/idp/oauth/token"
    audience: str = "healthpass-gateway"
    jwt_algorithms: tuple[str, ...] = ("ES256",)
    jwt_leeway_seconds: int = 30
    jwks_refresh_interval: float = 30.0
    client_id: str = "healthpass-gateway"
    client_secret: str = DEV_CLIENT_SECRET
    sources: Mapping[str, SourceSettings] = field(default_factory=lambda: _sources(MOCKS_URL))
    batch_size: int = 250
    cache_max_entries: int = 200_000
    status_policy: str = "hcmc-2021-10"

    @property
    def production(self) -> bool:
        return self.env == "production"

    def with_mocks_at(self, mocks_url: str) -> Settings:
        """The same settings with every upstream (and the IdP) under one mocks base URL."""
        return replace(
            self,
            idp_issuer=f"{mocks_url}/idp",
            idp_jwks_url=f"{mocks_url}/idp/.well-known/jwks.json",
            idp_token_url=f"{mocks_url}/idp/oauth/token",
            sources=_sources(mocks_url),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment; unknown values fall back to the defaults."""
        env = os.environ if environ is None else environ
        base = cls().with_mocks_at(env.get("MOCKS_URL", MOCKS_URL).rstrip("/"))
        sources = {
            name: SourceSettings(
                base_url=env.get(f"{name.upper()}_URL", source.base_url).rstrip("/"),
                cache_ttl=float(env.get(f"{name.upper()}_CACHE_TTL", source.cache_ttl)),
                timeout=float(env.get(f"{name.upper()}_TIMEOUT", source.timeout)),
            )
            for name, source in base.sources.items()
        }
        return replace(
            base,
            env=env.get("GATEWAY_ENV", base.env),
            host=env.get("HOST", base.host),
            port=int(env.get("PORT", base.port)),
            data_dir=Path(env.get("DATA_DIR", str(base.data_dir))),
            idp_issuer=env.get("IDP_ISSUER", base.idp_issuer),
            idp_jwks_url=env.get("IDP_JWKS_URL", base.idp_jwks_url),
            idp_token_url=env.get("IDP_TOKEN_URL", base.idp_token_url),
            audience=env.get("JWT_AUDIENCE", base.audience),
            client_id=env.get("GATEWAY_CLIENT_ID", base.client_id),
            client_secret=env.get("GATEWAY_CLIENT_SECRET", base.client_secret),
            sources=sources,
            batch_size=int(env.get("UPSTREAM_BATCH_SIZE", base.batch_size)),
            cache_max_entries=int(env.get("CACHE_MAX_ENTRIES", base.cache_max_entries)),
            status_policy=env.get("STATUS_POLICY", base.status_policy),
        )
