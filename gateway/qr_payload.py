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

from dataclasses import dataclass
from datetime import UTC, datetime

from joserfc import jwt
from joserfc.errors import JoseError

from gateway.errors import InvalidQr
from gateway.keys import ALGORITHM, SigningKeys

QR_CLAIM = "q"
MAX_PAYLOAD = 1024  # a QR payload is ~240 bytes; anything much larger is not ours


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
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(now.timestamp()),
        iss={"essential": True, "value": issuer},
        iat={"essential": True},
        exp={"essential": True},
        q={"essential": True},
    )
    try:
        token = jwt.decode(payload, keys.verifying, algorithms=[ALGORITHM])
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidQr() from error
    kid, qr_id = token.header.get("kid"), token.claims.get(QR_CLAIM)
    if "typ" in token.header or not isinstance(kid, str) or not isinstance(qr_id, str):
        raise InvalidQr()
    return QrClaims(qr_id, datetime.fromtimestamp(token.claims["iat"], UTC), kid)
