"""The trust list: the Document Signer Certificates whose passports the gateway accepts.

The format is the EU gateway's, a JSON list of

    {"kid": base64 key id, "country": "VN", "certificateType": "DSC", "rawData": base64 DER}

read from a file or fetched from a URL (`DCC_TRUST_LIST`). Entries are indexed by their `kid`
member, as the EU gateway's verifiers index them (computed from the certificate when absent:
the first 8 bytes of SHA-256 over its DER). Several certificates may share a key id, so a
look-up answers every one of them and the verifier tries each. The gateway's own
signing certificate is always trusted, and `GET /dcc/trust-list` publishes it in this format.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.dcc.keys import kid_of

log = logging.getLogger(__name__)


class TrustListError(ValueError):
    """The trust list cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class TrustedCertificate:
    """One Document Signer Certificate of the trust list."""

    certificate: x509.Certificate
    country: str
    kid: bytes
    certificate_type: str = "DSC"

    @classmethod
    def of(cls, certificate: x509.Certificate, country: str) -> TrustedCertificate:
        """An entry under the certificate's own key id."""
        return cls(certificate=certificate, country=country, kid=kid_of(certificate))

    def as_json(self) -> dict[str, str]:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kid": base64.b64encode(self.kid).decode(),
            "country": self.country,
            "certificateType": self.certificate_type,
            "rawData": base64.b64encode(der).decode(),
        }


@dataclass(frozen=True, slots=True)
class TrustList:
    """Trusted certificates by key id (a key id may name several)."""

    by_kid: Mapping[bytes, tuple[TrustedCertificate, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @classmethod
    def of(cls, entries: Iterable[TrustedCertificate]) -> TrustList:
        index: dict[bytes, list[TrustedCertificate]] = {}
        for entry in entries:
            same = index.setdefault(entry.kid, [])
            if entry not in same:
                same.append(entry)
        return cls(MappingProxyType({kid: tuple(found) for kid, found in index.items()}))

    def candidates(self, kid: bytes) -> tuple[TrustedCertificate, ...]:
        """Every trusted certificate with this key id, in list order."""
        return self.by_kid.get(kid, ())

    def entries(self) -> list[TrustedCertificate]:
        return [entry for found in self.by_kid.values() for entry in found]

    def merged(self, other: TrustList) -> TrustList:
        return TrustList.of([*self.entries(), *other.entries()])

    def __len__(self) -> int:
        return sum(len(found) for found in self.by_kid.values())


def parse_trust_list(document: object, source: str = "the trust list") -> TrustList:
    """A trust list from its decoded JSON. A bad entry is logged and left out: one odd
    certificate among hundreds must not stop every other country's passports verifying."""
    if not isinstance(document, list):
        raise TrustListError(f"{source} must be a JSON list of certificates.")
    entries = []
    for i, item in enumerate(document):
        try:
            entries.append(_entry(item, f"{source} entry {i}"))
        except TrustListError as error:
            log.warning("Trust list entry skipped: %s", error)
    return TrustList.of(entries)


def _entry(item: object, where: str) -> TrustedCertificate:
    if not isinstance(item, dict) or not isinstance(item.get("rawData"), str):
        raise TrustListError(f"{where} must be an object with rawData (base64 DER).")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(item["rawData"]))
    except (ValueError, binascii.Error) as error:
        raise TrustListError(f"{where} rawData is not a base64 DER certificate.") from error
    kid = item.get("kid")
    try:
        key_id = base64.b64decode(kid, validate=True) if kid is not None else kid_of(certificate)
    except (ValueError, binascii.Error, TypeError) as error:
        raise TrustListError(f"{where} kid is not base64.") from error
    if not key_id:
        raise TrustListError(f"{where} kid is empty.")
    return TrustedCertificate(
        certificate=certificate,
        country=str(item.get("country", "")),
        kid=key_id,
        certificate_type=str(item.get("certificateType", "DSC")),
    )


def certificate_from_base64(text: str) -> TrustedCertificate:
    """One certificate given as base64 DER (the command line's --certificate)."""
    return _entry({"rawData": text.strip()}, "The certificate")


async def load_trust_list(source: str, client: httpx.AsyncClient | None = None) -> TrustList:
    """The trust list at `source`: an http(s) URL (fetched with `client`) or a file path."""
    if source.startswith(("http://", "https://")):
        if client is None:
            raise TrustListError("A trust list URL needs an HTTP client.")
        try:
            response = await client.get(source)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TrustListError(
                f"The trust list at {source} cannot be fetched: {error}"
            ) from error
        return parse_trust_list(document, source)
    return read_trust_file(Path(source))


def read_trust_file(path: Path) -> TrustList:
    """The trust list in a JSON file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrustListError(f"The trust list {path} cannot be read: {error}") from error
    return parse_trust_list(document, str(path))


def read_revocation_list(path: Path) -> frozenset[str]:
    """UVCI hashes (base64 of the first 16 bytes of SHA-256), one per line; '#' comments."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TrustListError(f"The revocation list {path} cannot be read: {error}") from error
    hashes = {line.split("#", 1)[0].strip() for line in lines}
    return frozenset(h for h in hashes if h)


def trust_list_endpoint(
    published: Callable[[], Sequence[TrustedCertificate]],
) -> Callable[[Request], Awaitable[Response]]:
    """`GET /dcc/trust-list`: the gateway's own signing certificate(s), in trust-list format."""

    async def trust_list(request: Request) -> Response:
        body: list[dict[str, Any]] = [entry.as_json() for entry in published()]
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})

    return trust_list
