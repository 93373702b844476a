"""`python -m gateway dcc verify`: the offline verifier's command, run as a user would."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from gateway.dcc.verify import revocation_hash
from tests.dcc.forge import TestSigner, hcert_claims, make_signer, seal, vaccination

ISSUED = datetime(2022, 6, 1, 2, 0, tzinfo=UTC)
EXPIRES = datetime(2023, 6, 1, 2, 0, tzinfo=UTC)
UVCI = "URN:UVCI:01:DE:CLI/1#X"


def dcc_verify(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "dcc", "verify", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout else {"stderr": done.stderr}


@pytest.fixture(scope="module")
def signer() -> TestSigner:
    return make_signer("PS256")


@pytest.fixture(scope="module")
def passport(signer: TestSigner) -> str:
    return seal(signer, hcert_claims(vaccination(uvci=UVCI), ISSUED, EXPIRES), kid_in="unprotected")


def der_base64(signer: TestSigner) -> str:
    return base64.b64encode(signer.certificate.public_bytes(serialization.Encoding.DER)).decode()


def test_a_valid_passport_exits_0_with_every_field(signer: TestSigner, passport: str) -> None:
    code, report = dcc_verify(
        passport, "--certificate", der_base64(signer), "--at", "2022-07-01T00:00:00+07:00"
    )

    assert code == 0
    assert {k: report[k] for k in ("valid", "decoded", "signatureValid", "keyUsageValid")} == {
        "valid": True,
        "decoded": True,
        "signatureValid": True,
        "keyUsageValid": True,
    }
    assert (report["expired"], report["reason"], report["issuer"]) == (False, None, "DE")
    assert report["kid"] == base64.b64encode(signer.kid).decode()
    assert report["algorithm"] == "PS256"
    assert report["payload"] == vaccination(uvci=UVCI)
    assert report["expiresAt"] == EXPIRES.isoformat()


@pytest.mark.parametrize(
    ("at", "code", "expired"),
    [("2023-06-01T09:00:00+07:00", 0, False), ("2023-06-01T09:00:01+07:00", 1, True)],
    ids=["at-expiry", "a-second-later"],
)
def test_expiry_is_judged_at_the_given_instant(
    signer: TestSigner, passport: str, at: str, code: int, expired: bool
) -> None:
    exit_code, report = dcc_verify(passport, "--certificate", der_base64(signer), "--at", at)

    assert (exit_code, report["expired"]) == (code, expired)
    assert report["reason"] == ("EXPIRED" if expired else None)


def test_a_trust_list_file_is_read_and_a_stranger_is_unknown(
    signer: TestSigner, passport: str, tmp_path: Path
) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps([make_signer("ES256").trust_entry()]))

    code, report = dcc_verify(passport, "--trust", str(trust), "--at", "2022-07-01T00:00:00Z")

    assert (code, report["reason"], report["decoded"], report["signatureValid"]) == (
        1,
        "UNKNOWN_KEY",
        True,
        False,
    )
    assert report["payload"]["nam"]["fnt"] == "MUSTERMANN"  # still shown, for the operator


def test_the_configured_revocation_list_is_applied(
    signer: TestSigner, passport: str, tmp_path: Path
) -> None:
    revoked = tmp_path / "revoked.txt"
    revoked.write_text(revocation_hash(UVCI) + "\n")

    code, report = dcc_verify(
        passport,
        "--certificate",
        der_base64(signer),
        "--at",
        "2022-07-01T00:00:00Z",
        env={"DCC_REVOCATION_LIST": str(revoked)},
    )

    assert (code, report["reason"], report["revoked"]) == (1, "REVOKED", True)


def test_undecodable_text_exits_1_with_decode(signer: TestSigner) -> None:
    code, report = dcc_verify("HC1:NOT BASE45~", "--certificate", der_base64(signer))

    assert (code, report["decoded"], report["reason"]) == (1, False, "DECODE")


@pytest.mark.parametrize(
    "args",
    [("--trust", "/nonexistent/trust.json"), ("--certificate", "bm90IERFUg=="), ("--at", "today")],
    ids=["missing-trust-file", "not-a-certificate", "bad-instant"],
)
def test_unusable_trust_input_exits_2(passport: str, args: tuple[str, str]) -> None:
    code, report = dcc_verify(passport, *args)

    assert code == 2 and report["stderr"].strip()
