"""The passport signer: a Document Signer Certificate (DSC), its private key, and its CSCA.

A key directory holds PEM files:

    dsc.pem       the Document Signer Certificate (EC P-256 for ES256, or RSA for PS256)
    dsc-key.pem   its private key (PKCS#8, unencrypted, mode 0600)
    csca.pem      the Country Signing CA certificate that issued the DSC (optional)

`DCC_KEY_DIR` names a directory prepared by the operator; it is never written. Without it, a
DEVELOPMENT-ONLY directory is generated on first run under the data directory (`.data/`, never
committed): a self-signed CSCA and a DSC it issued, limited by extended key usage to
vaccination certificates. In production without `DCC_KEY_DIR` the gateway issues no passports
(it still verifies them against the trust list).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from gateway.dcc.codec import ES256, PS256
from gateway.settings import Settings

DSC_FILE: Final = "dsc.pem"
DSC_KEY_FILE: Final = "dsc-key.pem"
CSCA_FILE: Final = "csca.pem"
CSCA_KEY_FILE: Final = "csca-key.pem"  # development only: a real CSCA key never leaves its HSM
DEVELOPMENT_DIR: Final = "dev-dcc-keys"
VACCINATION_KEY_USAGE: Final = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")
KID_LENGTH: Final = 8
COORDINATE: Final = 32  # bytes of a P-256 coordinate: an ES256 signature is r || s, 64 bytes


class DccKeyError(ValueError):
    """The key directory cannot be used; the message says why."""


def kid_of(certificate: x509.Certificate) -> bytes:
    """The HCERT key id: the first 8 bytes of SHA-256 over the certificate's DER."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).digest()[:KID_LENGTH]


@dataclass(frozen=True, slots=True)
class Signer:
    """A DSC and its private key: signs COSE Sig_structures with ES256 or PS256."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    csca: x509.Certificate | None = None

    @property
    def kid(self) -> bytes:
        return kid_of(self.certificate)

    @property
    def algorithm(self) -> int:
        return ES256 if isinstance(self.key, ec.EllipticCurvePrivateKey) else PS256

    def sign(self, to_be_signed: bytes) -> bytes:
        """The COSE signature: r || s for ES256, RSASSA-PSS (salt = hash length) for PS256."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.key.sign(to_be_signed, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(COORDINATE, "big") + s.to_bytes(COORDINATE, "big")
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
        return self.key.sign(to_be_signed, pss, hashes.SHA256())

    def uvci_secret(self) -> bytes:
        """A secret derived from the private key: UVCIs are keyed by it, so they name no one."""
        der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return hashlib.sha256(b"healthpass-uvci\x00" + der).digest()


def signer_for(settings: Settings) -> Signer | None:
    """The configured signer; development keys outside production; None: issue nothing."""
    if settings.dcc.key_dir is not None:
        return load_signer(settings.dcc.key_dir)
    if settings.production:
        return None
    return development_signer(settings.data_dir)


def load_signer(directory: Path) -> Signer:
    """The DSC, its key and (if present) the CSCA in `directory`."""
    try:
        certificate = x509.load_pem_x509_certificate((directory / DSC_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / DSC_KEY_FILE).read_bytes(), None)
        csca_path = directory / CSCA_FILE
        csca = (
            x509.load_pem_x509_certificate(csca_path.read_bytes()) if csca_path.exists() else None
        )
    except (OSError, ValueError, TypeError) as error:
        raise DccKeyError(f"The passport keys in {directory} cannot be read: {error}") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise DccKeyError(f"{directory / DSC_KEY_FILE} must hold an EC P-256 or RSA key.")
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
        raise DccKeyError(f"{directory / DSC_KEY_FILE} must be on the P-256 curve for ES256.")
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise DccKeyError(f"{directory / DSC_KEY_FILE} is not the key of {DSC_FILE}.")
    return Signer(certificate=certificate, key=key, csca=csca)


def development_signer(data_dir: Path) -> Signer:
    """The development CSCA and DSC under `data_dir`, generated there on first use."""
    directory = data_dir / DEVELOPMENT_DIR
    if not (directory / DSC_FILE).exists():
        _write_development_keys(directory)
    return load_signer(directory)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Healthpass Gateway (DEVELOPMENT ONLY)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def development_certificates(
    now: datetime | None = None,
) -> tuple[
    x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate, ec.EllipticCurvePrivateKey
]:
    """A new self-signed CSCA (10 years) and a DSC it issued (2 years), each with its key."""
    start = (now or datetime.now(UTC)) - timedelta(days=1)
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca_name = _name("Healthpass DEVELOPMENT CSCA")
    csca = (
        x509.CertificateBuilder()
        .subject_name(csca_name)
        .issuer_name(csca_name)
        .public_key(csca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3652))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .sign(csca_key, hashes.SHA256())
    )
    dsc_key = ec.generate_private_key(ec.SECP256R1())
    dsc = (
        x509.CertificateBuilder()
        .subject_name(_name("Healthpass DEVELOPMENT DSC"))
        .issuer_name(csca_name)
        .public_key(dsc_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([VACCINATION_KEY_USAGE]), critical=False)
        .sign(csca_key, hashes.SHA256())
    )
    return csca, csca_key, dsc, dsc_key


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _write_development_keys(directory: Path) -> None:
    """Write a new CSCA and DSC into `directory`, whole or not at all (a racing process's wins)."""
    csca, csca_key, dsc, dsc_key = development_certificates()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".tmp-dcc-"))
    try:
        pem = serialization.Encoding.PEM
        (staging / CSCA_FILE).write_bytes(csca.public_bytes(pem))
        (staging / DSC_FILE).write_bytes(dsc.public_bytes(pem))
        for name, key in ((CSCA_KEY_FILE, csca_key), (DSC_KEY_FILE, dsc_key)):
            path = staging / name
            path.touch(mode=0o600)
            path.write_bytes(_pem_key(key))
        (staging / "README").write_text(
            "DEVELOPMENT ONLY: generated by the gateway because DCC_KEY_DIR is not set. "
            "Never sign a real vaccine passport with these keys.\n",
            encoding="utf-8",
        )
        with contextlib.suppress(OSError):  # the directory exists: another process made it
            os.rename(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
