"""`python -m gateway dcc verify TEXT [--trust FILE | --certificate BASE64_DER] [--at ISO_TIME]`.

Verifies a passport offline and prints one JSON object: `valid`, `decoded`, `signatureValid`,
`keyUsageValid`, `expired`, `revoked`, `kid`, `algorithm`, `issuer`, `issuedAt`, `expiresAt`,
`payload` (the certificate), `reason` (null when valid) and `detail`. Exit status 0 only when
the passport is valid, 1 when it is not, 2 when the trust material cannot be read.

Without `--trust` or `--certificate`, the configured trust list (`DCC_TRUST_LIST`, a file or a
URL) and this gateway's own signing certificate (if its key directory exists) are trusted; the
revocation list is `DCC_REVOCATION_LIST` in every case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from gateway.dcc.keys import DEVELOPMENT_DIR, DSC_FILE, DccKeyError, load_signer
from gateway.dcc.trust import (
    TrustedCertificate,
    TrustList,
    TrustListError,
    certificate_from_base64,
    load_trust_list,
    read_revocation_list,
    read_trust_file,
)
from gateway.dcc.verify import verify
from gateway.settings import Settings


def add_command(commands: Any) -> None:
    """Add `dcc verify` to the `python -m gateway` command line."""
    dcc = commands.add_parser("dcc", help="vaccine passports (EU Digital COVID Certificates)")
    actions = dcc.add_subparsers(dest="dcc_action", required=True)
    command = actions.add_parser("verify", help="verify a passport offline; print it as JSON")
    command.add_argument("text", help="the passport: the text of its QR code (HC1:...)")
    trust = command.add_mutually_exclusive_group()
    trust.add_argument("--trust", type=Path, help="a trust list file (JSON)")
    trust.add_argument("--certificate", help="one trusted signing certificate, base64 DER")
    command.add_argument("--at", help="verify at this ISO 8601 instant instead of now")
    command.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    """Print the verification as JSON; 0 when valid, 1 when not, 2 on unusable trust input."""
    settings = Settings.from_env()
    try:
        at = _instant(args.at) if args.at else datetime.now(UTC)
        trust = _trust(args, settings)
        revocations = settings.dcc.revocation_list
        revoked = read_revocation_list(revocations) if revocations else frozenset()
    except (TrustListError, DccKeyError, ValueError) as error:
        print(str(error), file=sys.stderr)
        return 2
    result = verify(args.text, trust, at, revoked)
    print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0 if result.valid else 1


def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.utcoffset() is None:
        raise ValueError(f"--at {text!r} needs a time zone offset, e.g. 2022-06-01T08:00:00+07:00.")
    return at


def _trust(args: argparse.Namespace, settings: Settings) -> TrustList:
    if args.certificate:
        return TrustList.of([certificate_from_base64(args.certificate)])
    if args.trust:
        return read_trust_file(args.trust)
    entries: list[TrustedCertificate] = []
    key_dir = settings.dcc.key_dir or settings.data_dir / DEVELOPMENT_DIR
    if (key_dir / DSC_FILE).exists():
        entries.append(
            TrustedCertificate.of(load_signer(key_dir).certificate, settings.dcc.country)
        )
    configured = TrustList()
    if settings.dcc.trust_list:
        configured = asyncio.run(_load(settings.dcc.trust_list))
    return TrustList.of(entries).merged(configured)


async def _load(source: str) -> TrustList:
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await load_trust_list(source, client)
