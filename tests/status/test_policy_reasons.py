"""Several rules of the winning colour: all their reasons, and the right validUntil."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.status import Color, F0Case, Facts, evaluate, load_policy
from tests.status.status_helpers import DAY, antigen, case, day, doses, facts, local, pcr

POLICY = load_policy("hcmc-2021-10")
T = local(2021, 11, 20, 10)
HOURS_72 = dt.timedelta(hours=72)
PFIZER_TWICE = doses((dt.date(2021, 7, 1), "PFIZER"), (dt.date(2021, 8, 1), "PFIZER"))
VACCINE_END = day(dt.date(2022, 8, 1))
ONE_DOSE = doses((dt.date(2021, 8, 1), "SINOPHARM"))


def recovered(at: dt.datetime) -> list[F0Case]:
    return [case(at - 14 * DAY, at, "HCM-HOME-CARE-42")]


CASES = [
    pytest.param(
        facts(PFIZER_TWICE, cases=recovered(T - 30 * DAY)),
        (Color.GREEN, ("FULLY_VACCINATED", "RECOVERED"), VACCINE_END),
        id="green-both-vaccination-ends-later",
    ),
    pytest.param(
        facts(PFIZER_TWICE, cases=recovered(T - DAY)),
        (Color.GREEN, ("FULLY_VACCINATED", "RECOVERED"), VACCINE_END),
        id="green-both-vaccination-still-later",
    ),
    pytest.param(
        facts(doses((dt.date(2021, 1, 1), "JANSSEN")), cases=recovered(T - DAY)),
        (Color.GREEN, ("FULLY_VACCINATED", "RECOVERED"), T - DAY + 180 * DAY),
        id="green-both-recovery-ends-later",
    ),
    pytest.param(
        facts(cases=[*recovered(T - 100 * DAY), *recovered(T - 10 * DAY)]),
        (Color.GREEN, ("RECOVERED",), T - 10 * DAY + 180 * DAY),
        id="green-two-recoveries-latest",
    ),
    pytest.param(
        facts(PFIZER_TWICE, [pcr(T - DAY, positive=False)]),
        (Color.GREEN, ("FULLY_VACCINATED",), VACCINE_END),
        id="green-hides-yellow-reasons",
    ),
    pytest.param(
        facts(ONE_DOSE, [pcr(T - DAY, positive=False)]),
        (Color.YELLOW, ("PARTIALLY_VACCINATED", "RECENT_NEGATIVE_TEST"), None),
        id="yellow-both-partial-has-no-end",
    ),
    pytest.param(
        facts(tests=[pcr(T - dt.timedelta(hours=50), positive=False)]),
        (Color.YELLOW, ("RECENT_NEGATIVE_TEST",), T - dt.timedelta(hours=50) + HOURS_72),
        id="yellow-negative-only",
    ),
    pytest.param(
        facts(
            tests=[
                antigen(T - dt.timedelta(hours=10), positive=False),
                pcr(T - dt.timedelta(hours=60), positive=False),
            ]
        ),
        (Color.YELLOW, ("RECENT_NEGATIVE_TEST",), T - dt.timedelta(hours=10) + HOURS_72),
        id="yellow-two-negatives-latest",
    ),
    pytest.param(
        facts(
            PFIZER_TWICE,
            [antigen(T - 3 * DAY, positive=True)],
            [case(T - 2 * DAY)],
        ),
        (Color.RED, ("ACTIVE_F0", "RECENT_POSITIVE_TEST"), None),
        id="red-both-final-reasons",
    ),
    pytest.param(
        facts(
            tests=[pcr(T - 5 * DAY, positive=True), pcr(T - DAY, positive=False)],
        ),
        (Color.RED, ("RECENT_POSITIVE_TEST",), None),
        id="red-positive-beats-later-negative",
    ),
    pytest.param(
        facts(
            tests=[pcr(T - 10 * DAY, positive=True), pcr(T - 3 * DAY, positive=True)],
            cases=[case(T - 9 * DAY, T - 5 * DAY, "HCM-DISCHARGE-7")],
        ),
        (Color.RED, ("RECENT_POSITIVE_TEST",), None),
        id="red-positive-after-recovery",
    ),
    pytest.param(
        facts(),
        (Color.RED, ("NO_PROTECTION",), None),
        id="red-nothing-at-all",
    ),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_winning_reasons_and_valid_until(given: Facts, expected: tuple[object, ...]) -> None:
    # given facts where several rules may hold
    # when evaluated
    status = evaluate(POLICY, given, T)
    # then every rule of the winning colour is a reason, sorted, and validUntil is the latest
    assert (status.color, status.reasons, status.valid_until) == expected


def test_valid_until_is_in_city_time() -> None:
    # given a negative test sampled in UTC
    sampled = dt.datetime(2021, 11, 19, 1, 0, tzinfo=dt.UTC)
    # when evaluated
    status = evaluate(POLICY, facts(tests=[pcr(sampled, positive=False)]), T)
    # then validUntil is the same instant, written on the Ho Chi Minh City clock
    assert status.valid_until == sampled + HOURS_72
    assert status.valid_until is not None
    assert status.valid_until.utcoffset() == dt.timedelta(hours=7)
