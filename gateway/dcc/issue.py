"""Issuing a vaccine passport: the HCERT of a person's completed series, signed by our DSC.

The certificate records the latest dose at which the person's series is complete (the status
policy's counting: k doses complete a series when k ≥ the required doses of dose k's product),
as dose k of k, the EU convention for completed series and boosters alike:

    {"ver": "1.3.0", "nam": {"fn", "fnt", "gn", "gnt"}, "dob",
     "v": [{"tg": "840539006", "vp", "mp", "ma", "dn": k, "sd": k, "dt", "co": "VN",
            "is": "Ministry of Health Vietnam", "ci": "URN:UVCI:01:VN:...#C"}]}

in a CWT issued now by country VN and expiring 12 months later (MOH Decision 5772/QĐ-BYT).
The UVCI is the same for every copy of one dose's passport (so revoking it revokes them all)
and names no one: its opaque part is an HMAC of the dose's id under a secret of the signer.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final

import segno

from gateway.dcc import codec
from gateway.dcc.keys import Signer
from gateway.dcc.valuesets import COVID_19, VACCINES
from gateway.qr_image import BORDER, SCALE
from gateway.settings import DccSettings
from gateway.sources.identity import PersonRecord
from gateway.sources.vaccination import VaccinationRecord
from gateway.timezone import LOCAL

SCHEMA_VERSION: Final = "1.3.0"
UVCI_VERSION: Final = "01"
UVCI_CHARSET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"  # Luhn mod N over these 38
OPAQUE_BYTES: Final = 10  # 80 bits: 16 base32 characters
MAX_NAME: Final = 80  # characters of each name field in the schema


class SeriesIncomplete(ValueError):
    """The person has no completed vaccination series: nothing to certify."""


@dataclass(frozen=True, slots=True)
class IssuedPassport:
    """A signed passport and what it says."""

    text: str  # HC1:..., exactly the QR's content
    uvci: str
    issued_at: datetime
    expires_at: datetime
    dose_number: int
    total_doses: int
    vaccinated_on: date
    medicinal_product: str


def completing_dose(
    doses: Sequence[VaccinationRecord], required: Mapping[str, int], today: date
) -> tuple[int, VaccinationRecord] | None:
    """The latest dose k (with k) at which the series is complete, among doses up to today."""
    latest = None
    given = sorted((d for d in doses if d.date <= today), key=lambda d: d.date)
    for k, dose in enumerate(given, start=1):
        needed = required.get(dose.product)
        if needed is not None and k >= needed and dose.product in VACCINES:
            latest = (k, dose)
    return latest


def issue(
    person: PersonRecord,
    doses: Sequence[VaccinationRecord],
    required: Mapping[str, int],
    signer: Signer,
    config: DccSettings,
    now: datetime,
) -> IssuedPassport:
    """The passport of `person`'s completed series, signed now; `SeriesIncomplete` if none."""
    issued_at = now.astimezone(LOCAL).replace(microsecond=0)
    found = completing_dose(doses, required, issued_at.date())
    if found is None:
        raise SeriesIncomplete(f"{person.id} has no completed vaccination series.")
    k, dose = found
    vaccine = VACCINES[dose.product]
    uvci = make_uvci(config.country, _opaque(signer, f"{person.id}/{dose.id}"))
    expires_at = add_months(issued_at, config.validity_months)
    certificate = {
        "ver": SCHEMA_VERSION,
        "nam": names(person.full_name),
        "dob": person.date_of_birth.isoformat(),
        "v": [
            {
                "tg": COVID_19,
                "vp": vaccine.prophylaxis,
                "mp": vaccine.product,
                "ma": vaccine.manufacturer,
                "dn": k,
                "sd": k,
                "dt": dose.date.isoformat(),
                "co": config.country,
                "is": config.issuer,
                "ci": uvci,
            }
        ],
    }
    payload = codec.encode_cwt(config.country, issued_at, expires_at, certificate)
    header = {codec.HEADER_ALG: signer.algorithm, codec.HEADER_KID: signer.kid}
    text = codec.encode(codec.encode_sign1(header, payload, signer.sign))
    return IssuedPassport(
        text=text,
        uvci=uvci,
        issued_at=issued_at,
        expires_at=expires_at,
        dose_number=k,
        total_doses=k,
        vaccinated_on=dose.date,
        medicinal_product=vaccine.product,
    )


def names(full_name: str) -> dict[str, Any]:
    """`nam` of a Vietnamese full name: family name first, then middle and given names.

    'Nguyễn Văn An' → fn 'Nguyễn', gn 'Văn An', fnt 'NGUYEN', gnt 'VAN<AN' (ICAO 9303).
    """
    words = full_name.split()
    family, given = words[0], " ".join(words[1:])
    nam: dict[str, Any] = {"fn": family[:MAX_NAME], "fnt": icao_transliteration(family)}
    if given:
        nam |= {"gn": given[:MAX_NAME], "gnt": icao_transliteration(given)}
    return nam


def icao_transliteration(name: str) -> str:
    """A name as machine-readable travel documents write it: A-Z and '<' for each separator."""
    plain = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d"))
    letters = "".join(c for c in plain if not unicodedata.combining(c)).upper()
    spaced = "".join(c if "A" <= c <= "Z" else "<" if c in " -" else "" for c in letters)
    return "<".join(part for part in spaced.split("<") if part)[:MAX_NAME]


def _opaque(signer: Signer, subject: str) -> str:
    digest = hmac.new(signer.uvci_secret(), subject.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:OPAQUE_BYTES]).decode().rstrip("=")


def make_uvci(country: str, opaque: str) -> str:
    """`URN:UVCI:01:<country>:<opaque>#<check>`, the check character by Luhn mod N."""
    body = f"URN:UVCI:{UVCI_VERSION}:{country}:{opaque}"
    return f"{body}#{uvci_check_character(body)}"


def uvci_check_character(body: str) -> str:
    """The Luhn mod N check character of a UVCI (N = 38: A-Z, 0-9, '/', ':'), as the DCC
    schema's FAQ defines it: over the whole UVCI, prefix included, right to left."""
    n = len(UVCI_CHARSET)
    total, factor = 0, 2
    for char in reversed(body):
        code_point = UVCI_CHARSET.index(char)  # ValueError for a character outside the set
        addend = factor * code_point
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return UVCI_CHARSET[(n - total % n) % n]


def add_months(moment: datetime, months: int) -> datetime:
    """The same local time `months` calendar months later (the 31st becomes the month's last)."""
    years, month_index = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + years, month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@lru_cache(maxsize=256)  # the mask search costs tens of ms; svg and png of one passport share it
def qr_code(text: str) -> segno.QRCode:
    """The passport's QR: alphanumeric mode (base45 is its alphabet), error correction Q."""
    return segno.make_qr(text, error="q", mode="alphanumeric", boost_error=False)


def qr_svg(text: str) -> str:
    out = io.BytesIO()
    qr_code(text).save(out, kind="svg", scale=SCALE, border=BORDER, xmldecl=False)
    return out.getvalue().decode()


def qr_png_data_uri(text: str) -> str:
    return str(qr_code(text).png_data_uri(scale=SCALE, border=BORDER))
