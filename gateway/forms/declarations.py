"""The health declaration (khai báo y tế, DOMAIN.md §4): its fields, rules and validation."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from gateway.errors import BadUserInput

RULES_FILE = Path(__file__).with_name("declarations.json")


class Symptom(StrEnum):
    """Symptoms the declaration asks about, for the last 14 days."""

    FEVER = "FEVER"
    COUGH = "COUGH"
    SHORTNESS_OF_BREATH = "SHORTNESS_OF_BREATH"
    PNEUMONIA = "PNEUMONIA"
    SORE_THROAT = "SORE_THROAT"
    FATIGUE = "FATIGUE"
    LOSS_OF_TASTE_OR_SMELL = "LOSS_OF_TASTE_OR_SMELL"


class Exposure(StrEnum):
    """Contacts the declaration asks about, for the last 14 days."""

    CONFIRMED_OR_SUSPECTED_CASE = "CONFIRMED_OR_SUSPECTED_CASE"
    PERSON_FROM_AREA_WITH_CASES = "PERSON_FROM_AREA_WITH_CASES"
    PERSON_WITH_SYMPTOMS = "PERSON_WITH_SYMPTOMS"


@dataclass(frozen=True, slots=True)
class PlaceVisited:
    """A province (and optionally a district) visited, by national administrative code."""

    province: str
    district: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """Where the person lives now: a district of the city and a ward."""

    district: str
    ward: str


@dataclass(frozen=True, slots=True)
class Declaration:
    """What a person declares (identity comes from the token or the officer's choice)."""

    places_visited: tuple[PlaceVisited, ...]
    symptoms: tuple[Symptom, ...]
    exposures: tuple[Exposure, ...]
    address: Address
    phone: str


@dataclass(frozen=True, slots=True)
class DeclarationRules:
    """`declarations.json`, typed."""

    validity: timedelta
    max_places_visited: int
    phone_pattern: re.Pattern[str]
    ward_max_length: int
    city_province: str
    city_districts: dict[str, str]
    provinces: dict[str, str]


@functools.cache
def load_rules(path: Path = RULES_FILE) -> DeclarationRules:
    """The declaration rules (read once)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return DeclarationRules(
        validity=timedelta(hours=data["validityHours"]),
        max_places_visited=int(data["maxPlacesVisited"]),
        phone_pattern=re.compile(data["phonePattern"]),
        ward_max_length=int(data["wardMaxLength"]),
        city_province=str(data["city"]["province"]),
        city_districts=dict(data["city"]["districts"]),
        provinces=dict(data["provinces"]),
    )


def validate(declaration: Declaration, rules: DeclarationRules) -> Declaration:
    """The declaration, normalised (lists deduplicated and sorted, phone as 0xxxxxxxxx).

    Raises BAD_USER_INPUT naming the first offending field, e.g. `input.placesVisited[2].district`.
    """
    places = _places(declaration.places_visited, rules)
    return replace(
        declaration,
        places_visited=places,
        symptoms=tuple(sorted(set(declaration.symptoms))),
        exposures=tuple(sorted(set(declaration.exposures))),
        address=_address(declaration.address, rules),
        phone=_phone(declaration.phone, rules),
    )


def _places(places: tuple[PlaceVisited, ...], rules: DeclarationRules) -> tuple[PlaceVisited, ...]:
    if len(places) > rules.max_places_visited:
        raise BadUserInput(
            f"At most {rules.max_places_visited} places visited may be declared.",
            field="input.placesVisited",
        )
    for index, place in enumerate(places):
        field = f"input.placesVisited[{index}]"
        if place.province not in rules.provinces:
            raise BadUserInput(
                f"'{place.province}' is not a province code (e.g. '79' for Hồ Chí Minh).",
                field=f"{field}.province",
            )
        if place.district is not None and not _district_of(place, rules):
            raise BadUserInput(
                f"'{place.district}' is not a district code of province {place.province}.",
                field=f"{field}.district",
            )
    return tuple(dict.fromkeys(places))


def _district_of(place: PlaceVisited, rules: DeclarationRules) -> bool:
    if place.province == rules.city_province:
        return place.district in rules.city_districts
    # Only the city's own districts are listed; elsewhere the code's shape is checked.
    return place.district is not None and re.fullmatch(r"[0-9]{3}", place.district) is not None


def _address(address: Address, rules: DeclarationRules) -> Address:
    if address.district not in rules.city_districts:
        raise BadUserInput(
            f"'{address.district}' is not a district code of the city (e.g. '778' for District 7).",
            field="input.address.district",
        )
    ward = " ".join(address.ward.split())
    if not ward or len(ward) > rules.ward_max_length:
        raise BadUserInput(
            f"The ward must be given, in at most {rules.ward_max_length} characters.",
            field="input.address.ward",
        )
    return Address(district=address.district, ward=ward)


def _phone(phone: str, rules: DeclarationRules) -> str:
    compact = re.sub(r"[\s.-]", "", phone)
    if not rules.phone_pattern.fullmatch(compact):
        raise BadUserInput(
            "The phone number must be a Vietnamese mobile number, e.g. 0901234567.",
            field="input.phone",
        )
    return "0" + compact.removeprefix("+84").removeprefix("0")
