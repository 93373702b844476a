"""The HCERT container: `HC1:` + base45( zlib( COSE_Sign1( CBOR Web Token ) ) ), both ways.

    COSE_Sign1  tag 18 [protected: bstr(map), unprotected: map, payload: bstr, signature: bstr]
    CWT         {1: issuer country, 4: expires (epoch s), 6: issued (epoch s),
                 -260: {1: the certificate (a map: ver, nam, dob, and one of v / t / r)}}

Only the framing lives here: what is signed (`Sig_structure`), what the headers say, and the
CWT's claims as read. Whether a signature is good is `verify.py`'s business. Decoding is bounded
(text length, inflated size, CBOR depth) so a hostile QR code costs little.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import base45
import cbor2

PREFIX: Final = "HC1:"
MAX_TEXT: Final = 8192  # characters of QR text; real passports are 300 to 700
MAX_INFLATED: Final = 65536  # bytes of COSE after zlib: a certificate is well under 2 KiB
MAX_DEPTH: Final = 16  # CBOR nesting; an HCERT nests five levels deep

COSE_SIGN1_TAG: Final = 18
HEADER_ALG: Final = 1
HEADER_KID: Final = 4
ES256: Final = -7
PS256: Final = -37
ALGORITHM_NAMES: Final = {ES256: "ES256", PS256: "PS256"}

CLAIM_ISSUER: Final = 1
CLAIM_EXPIRES: Final = 4
CLAIM_ISSUED: Final = 6
CLAIM_HCERT: Final = -260
HCERT_V1: Final = 1


class DecodeError(ValueError):
    """The text is not an HCERT container; the message says which layer failed."""


@dataclass(frozen=True, slots=True)
class CoseSign1:
    """A decoded COSE_Sign1 message, with its protected header kept as the signed bytes."""

    protected: bytes
    protected_header: dict[Any, Any]
    unprotected_header: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def algorithm(self) -> object:
        """The `alg` header; only the protected header may carry it (RFC 9052)."""
        return self.protected_header.get(HEADER_ALG)

    @property
    def kid(self) -> bytes | None:
        """The key id: the protected header's if present, else the unprotected header's."""
        for header in (self.protected_header, self.unprotected_header):
            kid = header.get(HEADER_KID)
            if isinstance(kid, bytes) and kid:
                return kid
        return None

    @property
    def to_be_signed(self) -> bytes:
        """The COSE Sig_structure the signature covers (no external AAD)."""
        return sig_structure(self.protected, self.payload)


@dataclass(frozen=True, slots=True)
class Cwt:
    """The claims of an HCERT's CBOR Web Token; each None when absent or of the wrong type."""

    issuer: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    hcert: object  # the certificate map, still unchecked (see facts.py)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ["Signature1", protected, external_aad = b"", payload]."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def decode(text: str) -> CoseSign1:
    """The COSE_Sign1 message in a scanned HCERT text; `DecodeError` naming the failed layer."""
    text = text.strip("\r\n")  # not spaces: a space is a base45 digit
    if len(text) > MAX_TEXT:
        raise DecodeError(f"The text is longer than {MAX_TEXT} characters.")
    if not text.startswith(PREFIX):
        raise DecodeError(f"The text does not start with {PREFIX}.")
    try:
        compressed = base45.b45decode(text[len(PREFIX) :])
    except (ValueError, KeyError, IndexError) as error:
        raise DecodeError("The text after the prefix is not base45.") from error
    return cose_sign1(_inflate(bytes(compressed)))


def _inflate(data: bytes) -> bytes:
    # zlib is optional in the specification: a raw COSE message starts with tag 18 (0xD2) or an
    # array of four (0x84), neither of which can start a zlib stream.
    if data[:1] in (b"\xd2", b"\x84"):
        return data
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as error:
        raise DecodeError("The base45 content is not zlib-compressed.") from error
    if inflater.unconsumed_tail:
        raise DecodeError(f"The compressed content inflates beyond {MAX_INFLATED} bytes.")
    if not inflater.eof:
        raise DecodeError("The zlib stream is truncated.")
    return inflated


def _loads(data: bytes, what: str) -> Any:
    try:
        return cbor2.loads(data, max_depth=MAX_DEPTH)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise DecodeError(f"The {what} is not valid CBOR.") from error


def cose_sign1(data: bytes) -> CoseSign1:
    """Read a COSE_Sign1 message (tagged 18, or the bare array of four)."""
    message = _loads(data, "COSE message")
    if isinstance(message, cbor2.CBORTag):
        if message.tag != COSE_SIGN1_TAG:
            raise DecodeError(f"The COSE message has tag {message.tag}, not COSE_Sign1 (18).")
        message = message.value
    # Inside a tag, cbor2 decodes arrays as tuples and maps as its frozendict.
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise DecodeError("The COSE message is not a COSE_Sign1 array of four.")
    protected, unprotected, payload, signature = message
    if not isinstance(protected, bytes) or not isinstance(unprotected, Mapping):
        raise DecodeError("The COSE headers are malformed.")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise DecodeError("The COSE payload or signature is not a byte string.")
    header = _loads(protected, "protected header") if protected else {}
    if not isinstance(header, dict):
        raise DecodeError("The COSE protected header is not a map.")
    return CoseSign1(protected, header, dict(unprotected), payload, signature)


def cwt(message: CoseSign1) -> Cwt:
    """The CWT claims of a message's payload; `DecodeError` if it is not a CBOR map."""
    claims = _loads(message.payload, "CWT payload")
    if not isinstance(claims, dict):
        raise DecodeError("The CWT payload is not a map.")
    hcert = claims.get(CLAIM_HCERT)
    issuer = claims.get(CLAIM_ISSUER)
    return Cwt(
        issuer=issuer if isinstance(issuer, str) else None,
        issued_at=_instant(claims.get(CLAIM_ISSUED)),
        expires_at=_instant(claims.get(CLAIM_EXPIRES)),
        hcert=hcert.get(HCERT_V1) if isinstance(hcert, dict) else None,
    )


def _instant(value: object) -> datetime | None:
    # NumericDate (RFC 8392): seconds since the epoch, an integer or a float; some issuers tag it.
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def encode_cwt(issuer: str, issued_at: datetime, expires_at: datetime, hcert: object) -> bytes:
    """The CBOR of an HCERT CWT."""
    return cbor2.dumps(
        {
            CLAIM_ISSUER: issuer,
            CLAIM_ISSUED: int(issued_at.timestamp()),
            CLAIM_EXPIRES: int(expires_at.timestamp()),
            CLAIM_HCERT: {HCERT_V1: hcert},
        }
    )


def encode_sign1(
    protected_header: dict[int, Any],
    payload: bytes,
    sign: Callable[[bytes], bytes],
    unprotected_header: dict[int, Any] | None = None,
) -> bytes:
    """A tagged COSE_Sign1 message; `sign(to_be_signed) -> signature bytes` signs it."""
    protected = cbor2.dumps(protected_header)
    signature = sign(sig_structure(protected, payload))
    message = [protected, unprotected_header or {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, message))


def encode(message: bytes) -> str:
    """The QR text of a COSE message: `HC1:` + base45(zlib(message))."""
    encoded: bytes = base45.b45encode(zlib.compress(message, 9))
    return PREFIX + encoded.decode("ascii")
