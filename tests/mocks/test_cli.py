"""`python -m mocks token` and `personas`, run as the README tells people to run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from mocks.keys import load_signing_key
from mocks.personas import SPECS


def _run(key_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MOCK_IDP_KEY_FILE": str(key_file), "MOCK_REFERENCE_TIME": ""}
    return subprocess.run(
        [sys.executable, "-m", "mocks", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def test_citizen_token_verifies_against_the_served_jwks(
    client: httpx.AsyncClient, key_file: Path
) -> None:
    result = _run(key_file, "token", "citizen", "--person", "P0000001")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"  # nothing but the token
    jwks = KeySet.import_key_set((await client.get("/idp/.well-known/jwks.json")).json())
    claims = jwt.decode(token, jwks, algorithms=["ES256"]).claims
    assert claims["role"] == "citizen"
    assert claims["sub"] == claims["person_id"] == "P0000001"
    assert claims["aud"] == "healthpass-gateway"
    assert claims["exp"] - claims["iat"] == 3600


def test_checkpoint_token_with_ttl(key_file: Path) -> None:
    result = _run(key_file, "token", "checkpoint", "--district", "778", "--ttl", "120")
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), load_signing_key(key_file)).claims
    assert (claims["district"], claims["sub"], claims["exp"] - claims["iat"]) == (
        "778",
        "CP-778-001",
        120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "citizen"], "needs --person"),
        (["token", "health_officer"], "needs --district"),
        (["token", "superuser", "--district", "778"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    key_file: Path, args: list[str], message: str
) -> None:
    result = _run(key_file, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_personas_prints_a_json_list(key_file: Path) -> None:
    result = _run(key_file, "personas")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [p["personId"] for p in listed] == [f"P{i:07d}" for i in range(1, len(SPECS) + 1)]
    assert all({"personId", "district", "case", "expectedColor"} <= set(p) for p in listed)
