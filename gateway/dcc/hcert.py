"""The certificate inside an HCERT (eHealth Network DCC schema 1.3): parsed and checked.

    {"ver": "1.3.0", "nam": {"fn", "fnt", "gn", "gnt"}, "dob": "1990-02-28",
     "v" | "t" | "r": [one entry]}

A certificate holds exactly one entry: a vaccination (`v`), a test (`t`) or a recovery (`r`),
for COVID-19. Anything else is a `PayloadError`: the signature may be good, but the gateway
cannot read what it signs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from gateway.dcc.valuesets import COVID_19, TEST_KINDS, TEST_POSITIVE
from gateway.status import TestKind

CERTIFICATE_TYPES: Final = ("v", "t", "r")


class PayloadError(ValueError):
    """The signed certificate is not one the gateway can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Holder:
    """Whom a certificate names: the name as written (diacritics kept where given), birth year."""

    full_name: str
    birth_year: int | None


@dataclass(frozen=True, slots=True)
class VaccinationEntry:
    """Dose `dose_number` of a series of `total_doses`, given on `date`."""

    product: str  # mp
    dose_number: int  # dn
    total_doses: int  # sd
    date: date  # dt
    uvci: str

    @property
    def completes_series(self) -> bool:
        """The EU reading: the series is complete when dn >= sd."""
        return self.dose_number >= self.total_doses


@dataclass(frozen=True, slots=True)
class TestEntry:
    """A test of `kind`, sampled at `sampled_at`, with its result."""

    __test__ = False  # not a pytest test class, despite the name

    kind: TestKind
    sampled_at: datetime
    positive: bool
    uvci: str


@dataclass(frozen=True, slots=True)
class RecoveryEntry:
    """A recovery after a positive test on `first_positive`, valid from `valid_from` to
    `valid_until` (both dates inclusive)."""

    first_positive: date
    valid_from: date
    valid_until: date
    uvci: str


Entry = VaccinationEntry | TestEntry | RecoveryEntry


@dataclass(frozen=True, slots=True)
class Hcert:
    """A parsed certificate: its holder and its one entry."""

    holder: Holder
    certificate_type: str  # "v", "t" or "r": what a signer's key usage may be limited to
    entry: Entry


def parse(data: object) -> Hcert:
    """The certificate in a CWT's HCERT claim, checked; `PayloadError` otherwise."""
    if not isinstance(data, dict):
        raise PayloadError("The certificate is missing or not a map.")
    present = [kind for kind in CERTIFICATE_TYPES if kind in data]
    if len(present) != 1:
        raise PayloadError("A certificate holds exactly one of v, t or r.")
    kind = present[0]
    entries = data[kind]
    if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], dict):
        raise PayloadError(f"The certificate's {kind} must be a list of one entry.")
    entry: dict[str, Any] = entries[0]
    if entry.get("tg") != COVID_19:
        raise PayloadError(f"The certificate is not about COVID-19 (tg {COVID_19}).")
    return Hcert(holder=_holder(data), certificate_type=kind, entry=_PARSERS[kind](entry))


def _holder(data: dict[Any, Any]) -> Holder:
    nam = data.get("nam")
    if not isinstance(nam, dict) or not isinstance(nam.get("fnt"), str):
        raise PayloadError("The certificate's nam must give at least fnt.")
    names = [nam.get("fn"), nam.get("gn")]
    if any(isinstance(name, str) and name.strip() for name in names):
        full = " ".join(name.strip() for name in names if isinstance(name, str) and name.strip())
    else:
        # Only the ICAO 9303 transliteration: 'NGUYEN', 'VAN<AN' → 'Nguyen Van An'.
        standard = [nam.get("fnt"), nam.get("gnt")]
        full = " ".join(n.replace("<", " ") for n in standard if isinstance(n, str)).title()
    if not full.split():
        raise PayloadError("The certificate's nam names no one.")
    dob = data.get("dob")
    if not isinstance(dob, str):
        raise PayloadError("The certificate's dob must be a string (possibly empty).")
    year = dob[:4]
    return Holder(
        full_name=" ".join(full.split()), birth_year=int(year) if year.isdigit() else None
    )


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"The certificate entry's {key} must be a non-empty string.")
    return value


def _count(entry: dict[str, Any], key: str) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 9:
        raise PayloadError(f"The certificate entry's {key} must be a number from 1 to 9.")
    return value


def _date(entry: dict[str, Any], key: str) -> date:
    # Early issuers wrote a full timestamp where the schema asks for a date: its date counts.
    try:
        return date.fromisoformat(_text(entry, key)[:10])
    except ValueError:
        raise PayloadError(f"The certificate entry's {key} must be a date (YYYY-MM-DD).") from None


def _vaccination(entry: dict[str, Any]) -> VaccinationEntry:
    return VaccinationEntry(
        product=_text(entry, "mp"),
        dose_number=_count(entry, "dn"),
        total_doses=_count(entry, "sd"),
        date=_date(entry, "dt"),
        uvci=_text(entry, "ci"),
    )


def _test(entry: dict[str, Any]) -> TestEntry:
    kind = TEST_KINDS.get(_text(entry, "tt"))
    if kind is None:
        raise PayloadError(f"The test type must be one of {', '.join(TEST_KINDS)}.")
    positive = TEST_POSITIVE.get(_text(entry, "tr"))
    if positive is None:
        raise PayloadError(f"The test result must be one of {', '.join(TEST_POSITIVE)}.")
    try:
        sampled_at = datetime.fromisoformat(_text(entry, "sc"))
    except ValueError:
        raise PayloadError("The test's sc must be an ISO 8601 date and time.") from None
    if sampled_at.utcoffset() is None:
        raise PayloadError("The test's sc must carry a time zone offset.")
    return TestEntry(kind=kind, sampled_at=sampled_at, positive=positive, uvci=_text(entry, "ci"))


def _recovery(entry: dict[str, Any]) -> RecoveryEntry:
    recovery = RecoveryEntry(
        first_positive=_date(entry, "fr"),
        valid_from=_date(entry, "df"),
        valid_until=_date(entry, "du"),
        uvci=_text(entry, "ci"),
    )
    if recovery.valid_until < recovery.valid_from:
        raise PayloadError("The recovery's du is before its df.")
    return recovery


_PARSERS: Final[dict[str, Callable[[dict[str, Any]], Entry]]] = {
    "v": _vaccination,
    "t": _test,
    "r": _recovery,
}


def uvci_of(data: object) -> str | None:
    """The UVCI (`ci`) of a certificate's entry, if it can be found at all."""
    if not isinstance(data, dict):
        return None
    for kind in CERTIFICATE_TYPES:
        entries = data.get(kind)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            ci = entries[0].get("ci")
            return ci if isinstance(ci, str) else None
    return None
