"""Verifying a scanned HCERT: decode, signature, key usage, expiry and revocation.

The checks run in this order, and the first that fails is the `reason`:

    DECODE       not HC1: + base45 + zlib + COSE_Sign1 + CBOR
    UNKNOWN_KEY  no key id, or no trusted certificate has it
    SIGNATURE    an unsupported algorithm, or no certificate with that key id verifies it
    PAYLOAD      the signed CWT or certificate cannot be read (see hcert.py)
    KEY_USAGE    the signing certificate's extended key usage excludes this certificate type
    EXPIRED      the CWT's expiry is before the instant checked
    REVOKED      the SHA-256 of the UVCI (first 16 bytes, base64) is on the revocation list

Every check still runs after a failure where it can, so an offline verifier sees the whole
picture (`python -m gateway dcc verify`); only a `Verification` without a reason is valid.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from gateway.dcc import codec, hcert
from gateway.dcc.trust import TrustedCertificate, TrustList
from gateway.dcc.valuesets import KEY_USAGE_OIDS

REVOCATION_HASH_BYTES = 16


class Reason(StrEnum):
    """Why a passport was refused (`extensions.reason` of INVALID_QR)."""

    DECODE = "DECODE"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    SIGNATURE = "SIGNATURE"
    PAYLOAD = "PAYLOAD"
    KEY_USAGE = "KEY_USAGE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


MESSAGES = {
    Reason.DECODE: "The code is not a readable vaccine passport (HC1).",
    Reason.UNKNOWN_KEY: "The vaccine passport's signing key is not on the trust list.",
    Reason.SIGNATURE: "The vaccine passport's signature does not verify.",
    Reason.PAYLOAD: "The vaccine passport's content cannot be read.",
    Reason.KEY_USAGE: "The vaccine passport's signer may not sign this type of certificate.",
    Reason.EXPIRED: "The vaccine passport has expired.",
    Reason.REVOKED: "The vaccine passport has been revoked.",
}


@dataclass(frozen=True, slots=True)
class Verification:
    """Everything a verification found; valid exactly when `reason` is None."""

    decoded: bool
    kid: bytes | None = None
    algorithm: str | None = None
    signature_valid: bool = False
    signer: TrustedCertificate | None = None
    key_usage_valid: bool | None = None  # None: no signer to ask
    issuer: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    expired: bool | None = None  # None: no readable expiry
    revoked: bool | None = None  # None: no readable UVCI
    payload: object = None  # the certificate as decoded, unchecked
    certificate: hcert.Hcert | None = None  # the certificate, checked
    reason: Reason | None = None
    detail: str | None = None  # what exactly failed first, for operators (not for clients)

    @property
    def valid(self) -> bool:
        return self.reason is None

    @property
    def message(self) -> str:
        return MESSAGES[self.reason] if self.reason is not None else "The passport is valid."

    def as_json(self) -> dict[str, Any]:
        """What `python -m gateway dcc verify` prints."""
        return {
            "valid": self.valid,
            "decoded": self.decoded,
            "signatureValid": self.signature_valid,
            "keyUsageValid": self.key_usage_valid,
            "expired": self.expired,
            "revoked": self.revoked,
            "kid": base64.b64encode(self.kid).decode() if self.kid is not None else None,
            "algorithm": self.algorithm,
            "issuer": self.issuer,
            "issuedAt": self.issued_at.isoformat() if self.issued_at else None,
            "expiresAt": self.expires_at.isoformat() if self.expires_at else None,
            "signerCountry": self.signer.country if self.signer else None,
            "payload": json_safe(self.payload),
            "reason": self.reason.value if self.reason else None,
            "detail": self.detail,
        }


def revocation_hash(uvci: str) -> str:
    """How a revocation list names a certificate: base64 of SHA-256(UVCI)[:16]."""
    digest = hashlib.sha256(uvci.encode("utf-8")).digest()[:REVOCATION_HASH_BYTES]
    return base64.b64encode(digest).decode()


def verify(
    text: str, trust: TrustList, at: datetime, revoked: frozenset[str] = frozenset()
) -> Verification:
    """Verify the HCERT `text` at the instant `at` against `trust` and the `revoked` hashes."""
    try:
        message = codec.decode(text)
        claims = codec.cwt(message)
    except codec.DecodeError as error:
        return Verification(decoded=False, reason=Reason.DECODE, detail=str(error))
    failures: list[tuple[Reason, str]] = []
    kid, alg = message.kid, message.algorithm
    algorithm = codec.ALGORITHM_NAMES.get(alg) if isinstance(alg, int) else None
    signer = _signer(message, trust, kid, algorithm, failures)
    certificate = _certificate(claims, failures)
    key_usage = None
    if signer is not None and certificate is not None:
        key_usage = certificate.certificate_type in allowed_types(signer.certificate)
        if not key_usage:
            failures.append((Reason.KEY_USAGE, f"type {certificate.certificate_type!r}"))
    expired = None if claims.expires_at is None else at > claims.expires_at
    if expired:
        failures.append((Reason.EXPIRED, f"expired at {claims.expires_at}"))
    uvci = hcert.uvci_of(claims.hcert)
    is_revoked = None if uvci is None else revocation_hash(uvci) in revoked
    if is_revoked:
        failures.append((Reason.REVOKED, "the UVCI's hash is on the revocation list"))
    first = min(failures, key=lambda f: list(Reason).index(f[0])) if failures else None
    return Verification(
        decoded=True,
        kid=kid,
        algorithm=algorithm,
        signature_valid=signer is not None,
        signer=signer,
        key_usage_valid=key_usage,
        issuer=claims.issuer,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        expired=expired,
        revoked=is_revoked,
        payload=claims.hcert,
        certificate=certificate,
        reason=first[0] if first else None,
        detail=first[1] if first else None,
    )


def _signer(
    message: codec.CoseSign1,
    trust: TrustList,
    kid: bytes | None,
    algorithm: str | None,
    failures: list[tuple[Reason, str]],
) -> TrustedCertificate | None:
    """The first trusted certificate under the key id whose key verifies the signature."""
    candidates = trust.candidates(kid) if kid is not None else ()
    if not candidates:
        failures.append((Reason.UNKNOWN_KEY, "no key id" if kid is None else "key id not trusted"))
        return None
    if algorithm is None:
        failures.append((Reason.SIGNATURE, f"unsupported algorithm {message.algorithm!r}"))
        return None
    for candidate in candidates:
        if signature_valid(candidate.certificate, algorithm, message):
            return candidate
    failures.append((Reason.SIGNATURE, f"none of {len(candidates)} certificate(s) verifies it"))
    return None


def signature_valid(
    certificate: x509.Certificate, algorithm: str, message: codec.CoseSign1
) -> bool:
    """Whether the certificate's public key made the message's signature with `algorithm`."""
    key = certificate.public_key()
    data, signature = message.to_be_signed, message.signature
    try:
        if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(key.curve, ec.SECP256R1) or len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            return True
        if algorithm == "PS256" and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            key.verify(signature, data, pss, hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def allowed_types(certificate: x509.Certificate) -> frozenset[str]:
    """Certificate types (v, t, r) a signer may sign: all, unless its extended key usage names
    some of the HCERT purposes."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset(hcert.CERTIFICATE_TYPES)
    named = {
        KEY_USAGE_OIDS[oid.dotted_string] for oid in usage if oid.dotted_string in KEY_USAGE_OIDS
    }
    return frozenset(named) if named else frozenset(hcert.CERTIFICATE_TYPES)


def _certificate(claims: codec.Cwt, failures: list[tuple[Reason, str]]) -> hcert.Hcert | None:
    if claims.issued_at is None or claims.expires_at is None:
        failures.append((Reason.PAYLOAD, "the CWT lacks its issued-at or expiry claim"))
        return None
    try:
        return hcert.parse(claims.hcert)
    except hcert.PayloadError as error:
        failures.append((Reason.PAYLOAD, str(error)))
        return None


def json_safe(value: object) -> Any:
    """CBOR values as JSON: byte strings in base64, instants in ISO 8601, map keys as text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)
