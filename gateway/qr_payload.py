"""The personal QR payload: a compact JWS (ES256) naming an opaque QR id, issuer and issue time.

    header  {"alg": "ES256", "kid": "<8 characters>"}
    claims  {"iss": "<issuer>", "q": "<QR id>", "iat": <QR issued, epoch s>, "exp": <epoch s>}

About 240 bytes in all (QR version 11 at error correction M). No `typ` header: that keeps the
payload short and tells it apart from an offline pass (`typ: hp-pass`), which is never accepted
here. `exp` is the signing time plus QR_PAYLOAD_TTL (a year): payloads are re-signed whenever they
are shown, so only printed cards age, and a retired key leaves no valid payload behind once the
TTL has passed. The payload proves only that the gateway issued it; whether the QR id is still
active is the registry's answer, asked on every scan (cached briefly).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from weakref import finalize

from joserfc import jwt
from joserfc.errors import JoseError

from gateway.errors import InvalidQr
from gateway.keys import ALGORITHM, SigningKeys

QR_CLAIM = "q"
MAX_PAYLOAD = 1024  # a QR payload is ~240 bytes; anything much larger is not ours
MAX_VERIFIED = 50_000  # payloads whose signature is remembered, per key set (LRU)


@dataclass
class _Verified:
    """Signatures already verified under one key set: a card scanned again (or many scanners
    on one payload) costs one ES256 verification, not one per scan (README, Performance).
    A payload whose claims were found valid is remembered with them, so a later scan checks
    only the time window (issued at or before now, expiring after it), as joserfc would."""

    tokens: OrderedDict[str, jwt.Token] = field(default_factory=OrderedDict)
    valid: dict[str, _ValidClaims] = field(default_factory=dict)  # the same keys, or fewer
    checks: int = 0  # signature verifications made (cache misses)


@dataclass(frozen=True, slots=True)
class _ValidClaims:
    issuer: str
    issued_at: int
    expires_at: int
    claims: QrClaims


# By the id of a key set; an entry goes when its key set does (key sets are not hashable).
_VERIFIED: dict[int, _Verified] = {}


def _verified(keys: SigningKeys) -> _Verified:
    key = id(keys.verifying)
    found = _VERIFIED.get(key)
    if found is None:
        found = _VERIFIED[key] = _Verified()
        finalize(keys.verifying, _VERIFIED.pop, key, None)
    return found


def signature_checks(keys: SigningKeys) -> int:
    """How many payload signatures were verified with `keys` (what the cache saved shows here)."""
    return _verified(keys).checks


def _decode(keys: SigningKeys, payload: str) -> jwt.Token:
    verified = _verified(keys)
    token = verified.tokens.get(payload)
    if token is not None:
        verified.tokens.move_to_end(payload)
        return token
    verified.checks += 1
    token = jwt.decode(payload, keys.verifying, algorithms=[ALGORITHM])
    verified.tokens[payload] = token
    if len(verified.tokens) > MAX_VERIFIED:
        dropped, _ = verified.tokens.popitem(last=False)
        verified.valid.pop(dropped, None)
    return token


@dataclass(frozen=True, slots=True)
class QrClaims:
    """What a verified payload says."""

    qr_id: str
    issued_at: datetime
    kid: str


def sign_payload(
    keys: SigningKeys, issuer: str, qr_id: str, issued_at: datetime, now: datetime, ttl: float
) -> str:
    """The payload of QR `qr_id`, signed now with the active key."""
    claims = {
        "iss": issuer,
        QR_CLAIM: qr_id,
        "iat": int(issued_at.timestamp()),
        "exp": int(now.timestamp() + ttl),
    }
    return keys.sign(claims)


def read_payload(keys: SigningKeys, issuer: str, payload: str, now: datetime) -> QrClaims:
    """The claims of a payload this gateway signed, or INVALID_QR (tampered, foreign, expired)."""
    if not payload or len(payload) > MAX_PAYLOAD:
        raise InvalidQr()
    verified = _verified(keys)
    seconds = int(now.timestamp())
    known = verified.valid.get(payload)
    if (
        known is not None
        and known.issuer == issuer
        and known.issued_at <= seconds < known.expires_at
    ):
        return known.claims  # the signature and the static claims were checked before
    return _checked_claims(keys, issuer, payload, seconds)


def _checked_claims(keys: SigningKeys, issuer: str, payload: str, seconds: int) -> QrClaims:
    registry = jwt.JWTClaimsRegistry(
        now=seconds,
        iss={"essential": True, "value": issuer},
        iat={"essential": True},
        exp={"essential": True},
        q={"essential": True},
    )
    try:
        token = _decode(keys, payload)
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidQr() from error
    kid, qr_id = token.header.get("kid"), token.claims.get(QR_CLAIM)
    if "typ" in token.header or not isinstance(kid, str) or not isinstance(qr_id, str):
        raise InvalidQr()
    claims = QrClaims(qr_id, datetime.fromtimestamp(token.claims["iat"], UTC), kid)
    iat, exp = token.claims["iat"], token.claims["exp"]
    if "nbf" not in token.claims and type(iat) is int and type(exp) is int:
        _verified(keys).valid[payload] = _ValidClaims(issuer, iat, exp, claims)
    return claims
