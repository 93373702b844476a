"""QR signing keys: the key file, development keys, rotation and retirement, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.attempts import MemoryAttemptLimiter
from gateway.errors import RateLimited, UpstreamUnavailable
from gateway.keys import (
    DEVELOPMENT_NOTE,
    KeyFileError,
    development_keys,
    load_keys,
    new_key,
    required,
    retire,
    rotate,
    signing_keys_for,
)
from gateway.settings import Settings


def test_development_keys_are_generated_once_and_marked(tmp_path: Path) -> None:
    first = development_keys(tmp_path)
    again = development_keys(tmp_path)

    stored = json.loads((tmp_path / "dev-qr-signing-keys.json").read_text())
    assert stored["_note"] == DEVELOPMENT_NOTE and "DEVELOPMENT ONLY" in DEVELOPMENT_NOTE
    assert first.active.kid == again.active.kid == stored["active"]
    assert len(first.active.kid) == 8
    assert (tmp_path / "dev-qr-signing-keys.json").stat().st_mode & 0o077 == 0


def test_production_never_falls_back_to_development_keys(tmp_path: Path) -> None:
    settings = replace(Settings(), env="production", data_dir=tmp_path)

    keys = signing_keys_for(settings)

    assert keys is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UpstreamUnavailable, match="not available"):
        required(keys)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "cannot be read as JSON"),
        ('{"keys": []}', "name the kid"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}], "active": "x"}', "not a JWK|private EC"),
    ],
    ids=["not json", "no active key", "not an EC key"],
)
def test_unusable_key_files_are_refused_with_a_reason(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)

    with pytest.raises(KeyFileError, match=problem):
        load_keys(path)


def test_rotation_adds_an_active_key_and_retirement_removes_one(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = new_key()
    path.write_text(json.dumps({"active": first["kid"], "keys": [first]}))

    second = rotate(path)
    rotated = load_keys(path)
    with pytest.raises(KeyFileError, match="active key cannot be retired"):
        retire(path, second)
    retire(path, first["kid"])
    retired = load_keys(path)

    assert rotated.active.kid == second
    assert [k["kid"] for k in rotated.public["keys"]] == [first["kid"], second]
    assert [k["kid"] for k in retired.public["keys"]] == [second]
    assert all("d" not in k for k in retired.public["keys"])


def test_the_cli_rotates_and_prints_public_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = new_key()
    path.write_text(json.dumps({"active": first["kid"], "keys": [first]}))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateway", "signing-keys", *args, "--file", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )

    rotated = cli("rotate")
    public = cli("public")
    refused = cli("retire", rotated.stdout.strip())

    assert rotated.returncode == 0 and len(rotated.stdout.strip()) == 8
    assert [k["kid"] for k in json.loads(public.stdout)["keys"]] == [
        first["kid"],
        rotated.stdout.strip(),
    ]
    assert refused.returncode == 1 and "rotate first" in refused.stderr


async def test_the_attempt_limiter_forgets_failures_after_the_window() -> None:
    now = [0.0]
    limiter = MemoryAttemptLimiter(attempts=3, window=60.0, clock=lambda: now[0])
    for _ in range(3):
        await limiter.begin("cp")  # three wrong codes

    with pytest.raises(RateLimited) as limited:
        await limiter.begin("cp")
    await limiter.begin("another")
    now[0] = 60.5
    await limiter.begin("cp")

    assert limited.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 60}
