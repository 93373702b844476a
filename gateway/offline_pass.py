"""Offline passes: a signed, short-lived status a checkpoint verifies with the JWKS alone.

    header  {"alg": "ES256", "kid": "<8 characters>", "typ": "hp-pass"}
    claims  {"iss", "iat", "exp", "c": colour, "vu": status valid until (epoch s, absent when
             open-ended), "n": masked name, "by": birth year}

`exp` is at most OFFLINE_PASS_TTL (24 h) after signing, and never later than the status's own
`validUntil`. A checkpoint without network verifies the signature against the keys published
at `/.well-known/jwks.json` (fetched while it was online) and `exp` against its clock:
`python -m gateway verify-pass TOKEN --jwks FILE` shows how. No person id, QR id or national id
is in a pass: it says what a checkpoint may see and nothing more.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gateway.keys import ALGORITHM, SigningKeys

PASS_TYPE = "hp-pass"


class PassInvalid(ValueError):
    """The pass cannot be trusted; the message says why."""


@dataclass(frozen=True, slots=True)
class PassClaims:
    """What a pass says."""

    issuer: str
    color: str
    valid_until: datetime | None
    masked_name: str
    birth_year: int
    issued_at: datetime
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "color": self.color,
            "validUntil": self.valid_until.isoformat() if self.valid_until else None,
            "maskedName": self.masked_name,
            "birthYear": self.birth_year,
            "issuedAt": self.issued_at.isoformat(),
            "expiresAt": self.expires_at.isoformat(),
        }


def pass_expiry(now: datetime, ttl: float, valid_until: datetime | None) -> datetime:
    """When a pass signed now expires: after `ttl`, or when the status does, if sooner."""
    expiry = datetime.fromtimestamp(int(now.timestamp() + ttl), UTC)
    return min(expiry, valid_until) if valid_until is not None else expiry


def sign_pass(keys: SigningKeys, claims: PassClaims) -> str:
    """The pass as a compact JWS signed by the active key."""
    body: dict[str, Any] = {
        "iss": claims.issuer,
        "iat": int(claims.issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "c": claims.color,
        "n": claims.masked_name,
        "by": claims.birth_year,
    }
    if claims.valid_until is not None:
        body["vu"] = int(claims.valid_until.timestamp())
    return keys.sign(body, typ=PASS_TYPE)


def verify_pass(token: str, keys: KeySet, now: datetime, issuer: str | None = None) -> PassClaims:
    """The claims of a genuine, unexpired pass; `PassInvalid` otherwise."""
    try:
        decoded = jwt.decode(token.strip(), keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError) as error:
        raise PassInvalid("The signature does not verify with these keys.") from error
    if decoded.header.get("typ") != PASS_TYPE:
        raise PassInvalid("This is not an offline pass.")
    iss: jwt.ClaimsOption = {"essential": True}
    if issuer:
        iss["value"] = issuer
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(now.timestamp()),
        iss=iss,
        iat={"essential": True},
        exp={"essential": True},
        c={"essential": True},
        n={"essential": True},
        by={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as error:
        raise PassInvalid(f"The pass is expired or incomplete ({error.error}).") from error
    claims = decoded.claims
    vu = claims.get("vu")
    return PassClaims(
        issuer=str(claims["iss"]),
        color=str(claims["c"]),
        valid_until=datetime.fromtimestamp(vu, UTC) if isinstance(vu, int) else None,
        masked_name=str(claims["n"]),
        birth_year=int(claims["by"]),
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


def add_command(commands: Any) -> None:
    """Add `verify-pass` to the `python -m gateway` command line."""
    command = commands.add_parser(
        "verify-pass", help="verify an offline pass with a JWKS file alone (no network)"
    )
    command.add_argument("token", help="the pass (the text of its QR code)")
    command.add_argument("--jwks", required=True, type=Path, help="/.well-known/jwks.json saved")
    command.add_argument("--issuer", help="require this issuer (iss)")
    command.add_argument("--at", help="verify at this ISO 8601 instant instead of now")
    command.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    """Print the pass's claims as JSON and return 0, or the reason on stderr and return 1."""
    try:
        keys = KeySet.import_key_set(json.loads(args.jwks.read_text(encoding="utf-8")))
    except (OSError, ValueError, JoseError) as error:
        print(f"The key set {args.jwks} cannot be read: {error}", file=sys.stderr)
        return 2
    now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    try:
        claims = verify_pass(args.token, keys, now, args.issuer)
    except PassInvalid as error:
        print(f"INVALID: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"valid": True, **claims.as_json()}, ensure_ascii=False))
    return 0
