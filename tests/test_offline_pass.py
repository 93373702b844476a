"""Offline passes: signed by the gateway, verified by `python -m gateway verify-pass` with the
JWKS alone (no network), refused when tampered, foreign or expired."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.keys import SigningKeys, load_keys, new_key
from gateway.offline_pass import PassClaims, sign_pass
from mocks.seed import personas
from mocks.settings import MockSettings
from tests.checkpoint_support import claims_of
from tests.conftest import TEST_DATA_DIR
from tests.support import MocksAdmin, error_summary, gql

PASS = """{ me { maskedName birthYear status { color validUntil }
  offlinePass { token color validUntil maskedName birthYear expiresAt pngDataUri } } }"""


@pytest.fixture(scope="module")
async def jwks_file(client: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gateway's published keys, saved as a checkpoint would save them while online."""
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text((await client.get("/.well-known/jwks.json")).text)
    return path


def verify(token: str, jwks: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "verify-pass", token, "--jwks", str(jwks), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def persona(settings: MockSettings, reasons: list[str]) -> dict[str, Any]:
    return next(p for p in personas(settings) if p["expectedReasons"] == reasons)


async def my_pass(client: httpx.AsyncClient, token: Callable[..., str], pid: str) -> dict[str, Any]:
    _, body = await gql(client, PASS, token=token("citizen", person_id=pid))
    assert "errors" not in body, body
    me: dict[str, Any] = body["data"]["me"]
    return me


async def test_a_pass_verifies_with_the_jwks_alone(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    mock_settings: MockSettings,
    jwks_file: Path,
) -> None:
    green = persona(mock_settings, ["FULLY_VACCINATED"])
    me = await my_pass(client, token, green["personId"])
    offline = me["offlinePass"]

    checked = verify(offline["token"], jwks_file, "--issuer", "hcmc-healthpass")

    assert checked.returncode == 0, checked.stderr
    shown = json.loads(checked.stdout)
    assert (shown["valid"], shown["color"], shown["maskedName"], shown["birthYear"]) == (
        True,
        "GREEN",
        me["maskedName"],
        me["birthYear"],
    )
    assert offline["color"] == me["status"]["color"] == "GREEN"
    expires = datetime.fromisoformat(offline["expiresAt"])
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    assert datetime.fromisoformat(shown["expiresAt"]) == expires
    header, claims = claims_of(offline["token"])
    assert header["typ"] == "hp-pass"
    assert green["personId"] not in json.dumps(claims)


async def test_a_pass_ends_when_the_status_does_if_sooner_than_24_hours(
    client: httpx.AsyncClient, token: Callable[..., str], mock_settings: MockSettings
) -> None:
    negative = persona(mock_settings, ["RECENT_NEGATIVE_TEST"])

    me = await my_pass(client, token, negative["personId"])

    offline = me["offlinePass"]
    assert offline["color"] == "YELLOW"
    assert offline["validUntil"] == me["status"]["validUntil"]
    assert datetime.fromisoformat(offline["expiresAt"]) == datetime.fromisoformat(
        me["status"]["validUntil"]
    )
    assert datetime.fromisoformat(offline["expiresAt"]) - datetime.now(UTC) < timedelta(hours=2)


def _tamper(token: str) -> str:
    header, claims, signature = token.split(".")
    return f"{header}.{claims[:-2]}{'A' if claims[-2] != 'A' else 'B'}{claims[-1]}.{signature}"


async def test_tampered_foreign_and_expired_passes_fail(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    mock_settings: MockSettings,
    jwks_file: Path,
    tmp_path: Path,
) -> None:
    green = persona(mock_settings, ["FULLY_VACCINATED"])
    genuine = (await my_pass(client, token, green["personId"]))["offlinePass"]["token"]
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(SigningKeys.from_jwks(_key_set()).public))
    past = datetime.now(UTC) - timedelta(days=2)
    expired = sign_pass(
        load_keys(TEST_DATA_DIR / "dev-qr-signing-keys.json"),
        PassClaims(
            "hcmc-healthpass", "GREEN", None, "N*** An", 1990, past, past + timedelta(hours=24)
        ),
    )
    tomorrow = (datetime.now(UTC) + timedelta(hours=24, minutes=1)).isoformat()

    outcomes = {
        "tampered": verify(_tamper(genuine), jwks_file),
        "foreign keys": verify(genuine, foreign),
        "expired": verify(expired, jwks_file),
        "genuine, checked a day later": verify(genuine, jwks_file, "--at", tomorrow),
        "another issuer required": verify(genuine, jwks_file, "--issuer", "elsewhere"),
    }

    assert {name: result.returncode for name, result in outcomes.items()} == dict.fromkeys(
        outcomes, 1
    )
    assert all(result.stdout == "" for result in outcomes.values())
    assert all(result.stderr.startswith("INVALID: ") for result in outcomes.values())


def _key_set() -> dict[str, Any]:
    key = new_key()
    return {"active": key["kid"], "keys": [key]}


async def test_no_pass_while_the_status_is_unknown(
    fresh_client: httpx.AsyncClient,
    token: Callable[..., str],
    mocks: MocksAdmin,
    mock_settings: MockSettings,
) -> None:
    green = persona(mock_settings, ["FULLY_VACCINATED"])
    await mocks.set_faults("lab", mode="down")

    _, body = await gql(
        fresh_client,
        "{ me { id offlinePass { token } } }",
        token=token("citizen", person_id=green["personId"]),
    )

    assert body["data"] == {"me": {"id": green["personId"], "offlinePass": None}}
    assert error_summary(body) == [("UPSTREAM_UNAVAILABLE", ["me", "offlinePass"])]
