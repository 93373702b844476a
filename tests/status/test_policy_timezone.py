"""Calendar days are Ho Chi Minh City's, whatever the zone T is given in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gateway.status import Color, evaluate, load_policy
from tests.status.status_helpers import day, doses, facts, local

POLICY = load_policy("hcmc-2021-10")
# Completes on 1 Sep 2021: GREEN from 00:00 on 15 Sep 2021 in the city (17:00 UTC on 14 Sep).
PFIZER_TWICE = doses((dt.date(2021, 8, 1), "PFIZER"), (dt.date(2021, 9, 1), "PFIZER"))
UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
GREEN = (Color.GREEN, ("FULLY_VACCINATED",))
YELLOW = (Color.YELLOW, ("PARTIALLY_VACCINATED",))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(local(2021, 9, 14, 23, 59), YELLOW, id="local-23-59-day-13"),
        pytest.param(local(2021, 9, 15, 0, 0), GREEN, id="local-00-00-day-14"),
        pytest.param(dt.datetime(2021, 9, 14, 16, 59, 59, tzinfo=UTC), YELLOW, id="utc-16-59-59"),
        pytest.param(dt.datetime(2021, 9, 14, 17, 0, tzinfo=UTC), GREEN, id="utc-17-00"),
        pytest.param(dt.datetime(2021, 9, 14, 13, 0, tzinfo=NEW_YORK), GREEN, id="new-york-13-00"),
        pytest.param(
            dt.datetime(2021, 9, 14, 12, 59, 59, tzinfo=NEW_YORK), YELLOW, id="new-york-12-59-59"
        ),
        pytest.param(
            dt.datetime(2021, 9, 15, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            GREEN,
            id="utc+8-01-00-is-local-00-00",
        ),
    ],
)
def test_today_is_the_city_date(at: dt.datetime, expected: tuple[Color, tuple[str, ...]]) -> None:
    # given a series that matures at 00:00 on 15 Sep 2021 in Ho Chi Minh City
    # when evaluated at an instant written in some time zone
    status = evaluate(POLICY, facts(PFIZER_TWICE), at)
    # then the city's calendar decides, and T is reported as given
    assert (status.color, status.reasons) == expected
    assert status.evaluated_at == at
    assert status.evaluated_at.tzinfo is at.tzinfo


def test_day_based_valid_until_equals_its_utc_instant() -> None:
    # given a matured series
    at = dt.datetime(2021, 10, 1, 3, 0, tzinfo=UTC)
    # when evaluated with T in UTC
    status = evaluate(POLICY, facts(PFIZER_TWICE), at)
    # then validUntil is 00:00 on 1 Sep 2022 in the city, i.e. 17:00 UTC the day before
    assert status.valid_until == day(dt.date(2022, 9, 1))
    assert status.valid_until == dt.datetime(2022, 8, 31, 17, 0, tzinfo=UTC)
    assert status.valid_until is not None
    assert status.valid_until.utcoffset() == dt.timedelta(hours=7)


def test_expiry_at_city_midnight_given_in_utc() -> None:
    # given a matured series that expires at day(1 Sep 2022)
    just_before = dt.datetime(2022, 8, 31, 16, 59, 59, 999999, tzinfo=UTC)
    at_expiry = dt.datetime(2022, 8, 31, 17, 0, tzinfo=UTC)
    # when evaluated one microsecond before and exactly at that instant, in UTC
    before = evaluate(POLICY, facts(PFIZER_TWICE), just_before)
    after = evaluate(POLICY, facts(PFIZER_TWICE), at_expiry)
    # then it is GREEN up to and excluding the instant
    assert (before.color, before.reasons) == GREEN
    assert (after.color, after.reasons) == YELLOW
