"""An independent HCERT toolkit for the tests, written from the specification with base45, zlib,
cbor2 and cryptography used directly (never `gateway.dcc`): it decodes and checks what the
gateway issues, and forges the passports the gateway must accept or refuse.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

ES256, PS256 = -7, -37
VACCINATION_EKU = "1.3.6.1.4.1.1847.2021.1.2"
TEST_EKU = "1.3.6.1.4.1.1847.2021.1.1"
RECOVERY_EKU_ALTERNATIVE = "1.3.6.1.4.1.0.1847.2021.1.3"


@dataclass(frozen=True)
class Decoded:
    """One HC1 text taken apart."""

    protected: bytes
    protected_header: dict[int, Any]
    unprotected_header: dict[int, Any]
    payload: bytes
    signature: bytes
    claims: dict[int, Any]

    @property
    def certificate(self) -> dict[str, Any]:
        hcert: dict[str, Any] = self.claims[-260][1]
        return hcert

    def to_be_signed(self) -> bytes:
        return cbor2.dumps(["Signature1", self.protected, b"", self.payload])


def decode_hc1(text: str) -> Decoded:
    assert text.startswith("HC1:")
    message = cbor2.loads(zlib.decompress(base45.b45decode(text[4:])))
    assert isinstance(message, cbor2.CBORTag) and message.tag == 18
    protected, unprotected, payload, signature = message.value
    return Decoded(
        protected=protected,
        protected_header=cbor2.loads(protected),
        unprotected_header=dict(unprotected),
        payload=payload,
        signature=signature,
        claims=cbor2.loads(payload),
    )


def es256_verifies(certificate: x509.Certificate, decoded: Decoded) -> bool:
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    r = int.from_bytes(decoded.signature[:32], "big")
    s = int.from_bytes(decoded.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), decoded.to_be_signed(), ec.ECDSA(hashes.SHA256()))
    except Exception:
        return False
    return True


def kid(certificate: x509.Certificate) -> bytes:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()[:8]


@dataclass(frozen=True)
class TestSigner:
    """A Document Signer made for a test: EC P-256 (ES256) or RSA (PS256)."""

    __test__ = False

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    @property
    def kid(self) -> bytes:
        return kid(self.certificate)

    @property
    def alg(self) -> int:
        return ES256 if isinstance(self.key, ec.EllipticCurvePrivateKey) else PS256

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return self.key.sign(data, pss, hashes.SHA256())

    def trust_entry(self, country: str = "DE") -> dict[str, str]:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kid": base64.b64encode(self.kid).decode(),
            "country": country,
            "certificateType": "DSC",
            "rawData": base64.b64encode(der).decode(),
        }


def make_signer(
    algorithm: str = "ES256", key_usage: tuple[str, ...] | None = None, name: str = "Test DSC"
) -> TestSigner:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
    )
    if key_usage is not None:
        usages = [x509.ObjectIdentifier(oid) for oid in key_usage]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return TestSigner(builder.sign(key, hashes.SHA256()), key)


def hcert_claims(
    certificate: dict[str, Any],
    issued_at: datetime,
    expires_at: datetime,
    issuer: str = "DE",
) -> dict[int, Any]:
    return {
        1: issuer,
        6: int(issued_at.timestamp()),
        4: int(expires_at.timestamp()),
        -260: {1: certificate},
    }


NAM = {"fn": "Mustermann", "fnt": "MUSTERMANN", "gn": "Erika", "gnt": "ERIKA"}


def vaccination(
    dn: int = 2, sd: int = 2, dt: str = "2021-06-01", uvci: str = "URN:UVCI:01:DE:TEST/1#X"
) -> dict[str, Any]:
    return {
        "ver": "1.3.0",
        "nam": NAM,
        "dob": "1964-08-12",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": dn,
                "sd": sd,
                "dt": dt,
                "co": "DE",
                "is": "Robert Koch-Institut",
                "ci": uvci,
            }
        ],
    }


def test_result(
    tt: str = "LP6464-4",
    tr: str = "260415000",
    sc: str = "2021-06-01T08:00:00+07:00",
    uvci: str = "URN:UVCI:01:DE:TEST/2#X",
) -> dict[str, Any]:
    return {
        "ver": "1.3.0",
        "nam": NAM,
        "dob": "1964-08",
        "t": [
            {
                "tg": "840539006",
                "tt": tt,
                "sc": sc,
                "tr": tr,
                "tc": "Testzentrum",
                "co": "DE",
                "is": "Robert Koch-Institut",
                "ci": uvci,
            }
        ],
    }


test_result.__test__ = False  # type: ignore[attr-defined]


def recovery(
    fr: str = "2021-05-01",
    df: str = "2021-05-12",
    du: str = "2021-10-28",
    uvci: str = "URN:UVCI:01:DE:TEST/3#X",
) -> dict[str, Any]:
    return {
        "ver": "1.3.0",
        "nam": NAM,
        "dob": "",
        "r": [
            {
                "tg": "840539006",
                "fr": fr,
                "co": "DE",
                "is": "Robert Koch-Institut",
                "df": df,
                "du": du,
                "ci": uvci,
            }
        ],
    }


def seal(
    signer: TestSigner,
    claims: dict[int, Any] | bytes,
    *,
    kid_in: str = "protected",
    alg: int | None = None,
    tamper: bool = False,
) -> str:
    """An HC1 text of `claims` signed by `signer`, the kid in the protected or unprotected
    header (or nowhere), optionally with the payload changed after signing."""
    protected_header: dict[int, Any] = {1: signer.alg if alg is None else alg}
    unprotected: dict[int, Any] = {}
    if kid_in == "protected":
        protected_header[4] = signer.kid
    elif kid_in == "unprotected":
        unprotected[4] = signer.kid
    protected = cbor2.dumps(protected_header)
    payload = claims if isinstance(claims, bytes) else cbor2.dumps(claims)
    signature = signer.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    if tamper:
        payload = payload.replace(b"Erika", b"Erica")
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))
    return "HC1:" + base45.b45encode(zlib.compress(message)).decode()
