"""Random but plausible residents: Vietnamese names, CCCD numbers, phones and addresses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from mocks.draw import Draw, Weighted
from mocks.model import Gender, Person
from mocks.names import (
    CITY,
    DISTRICTS,
    DISTRICTS_BY_CODE,
    FAMILY_NAMES,
    GIVEN_NAMES,
    ID_PROVINCES,
    MIDDLE_NAMES,
    STREETS,
)

_DISTRICTS = Weighted([(d, float(d.population_k)) for d in DISTRICTS])
_FAMILY = Weighted(FAMILY_NAMES)
_PROVINCES = Weighted(ID_PROVINCES)


class PersonFactory:
    """Makes people with unique national ids and phones from one random stream."""

    def __init__(self, draw: Draw, today: date) -> None:
        self._draw = draw
        self._today = today
        self._phones: set[str] = set()
        self._national_ids: set[str] = set()

    def make(self, person_id: str, district_code: str | None = None) -> Person:
        """A new person living in `district_code` (by population share when None)."""
        draw = self._draw
        district = (
            DISTRICTS_BY_CODE[district_code] if district_code else draw.weighted(_DISTRICTS)
        )
        gender: Gender = "female" if draw.chance(0.51) else "male"
        # Ages 12 to 90: the register holds children too, but the campaign started at 12.
        born = self._today - timedelta(days=draw.between(12 * 365 + 3, 90 * 365))
        ward = draw.pick(district.wards)
        # About a third of HCMC addresses are down an alley (hẻm): "123/4".
        alley = f"/{draw.between(1, 60)}" if draw.chance(0.35) else ""
        street = f"{draw.between(1, 350)}{alley} {draw.pick(STREETS)}"
        return Person(
            id=person_id,
            full_name=self._name(gender),
            date_of_birth=born,
            gender=gender,
            national_id=self._national_id(gender, born),
            phone=_unique(self._phones, lambda: "09" + draw.digits(8)),
            district=district.code,
            district_name=district.name,
            ward=ward,
            address=f"{street}, {ward}, {district.name}, {CITY}",
        )

    def _name(self, gender: Gender) -> str:
        draw = self._draw
        middle = draw.pick(MIDDLE_NAMES[gender])
        while (given := draw.pick(GIVEN_NAMES[gender])) == middle:
            pass
        return f"{draw.weighted(_FAMILY)} {middle} {given}"

    def _national_id(self, gender: Gender, born: date) -> str:
        # CCCD: province (3), century and gender (1), year of birth (2), then 6 serial digits.
        century = 0 if born.year < 2000 else 2
        prefix = (
            self._draw.weighted(_PROVINCES)
            + str(century + (1 if gender == "female" else 0))
            + f"{born.year % 100:02d}"
        )
        return _unique(self._national_ids, lambda: prefix + self._draw.digits(6))


def _unique(taken: set[str], make: Callable[[], str]) -> str:
    while (value := make()) in taken:
        pass
    taken.add(value)
    return value
