"""A source that could not be read: UNKNOWN, unless a final RED rule holds on what was read."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.status import Color, Facts, evaluate, load_policy
from tests.status.status_helpers import DAY, case, day, doses, facts, local, pcr

POLICY = load_policy("hcmc-2021-10")
T = local(2021, 11, 20, 10)
PFIZER_TWICE = doses((dt.date(2021, 7, 1), "PFIZER"), (dt.date(2021, 8, 1), "PFIZER"))
NEGATIVE = [pcr(T - DAY, positive=False)]
POSITIVE = [pcr(T - 3 * DAY, positive=True)]
RECOVERED = [case(T - 40 * DAY, T - 30 * DAY, "HCM-DISCHARGE-9")]
ACTIVE = [case(T - 2 * DAY)]

UNKNOWN = (Color.UNKNOWN, ("DATA_UNAVAILABLE",), None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(facts(None, NEGATIVE, RECOVERED), UNKNOWN, id="doses-missing-would-be-green"),
        pytest.param(facts(PFIZER_TWICE, None, RECOVERED), UNKNOWN, id="tests-missing-green"),
        pytest.param(facts(PFIZER_TWICE, NEGATIVE, None), UNKNOWN, id="f0-missing-green"),
        pytest.param(facts(None, [], []), UNKNOWN, id="doses-missing-would-be-red"),
        pytest.param(facts([], None, []), UNKNOWN, id="tests-missing-would-be-red"),
        pytest.param(facts([], [], None), UNKNOWN, id="f0-missing-would-be-red"),
        pytest.param(facts(None, None, None), UNKNOWN, id="all-missing"),
        pytest.param(
            facts(None, [], ACTIVE),
            (Color.RED, ("ACTIVE_F0",), None),
            id="doses-missing-active-f0-still-red",
        ),
        pytest.param(
            facts(PFIZER_TWICE, None, ACTIVE),
            (Color.RED, ("ACTIVE_F0",), None),
            id="tests-missing-active-f0-still-red",
        ),
        pytest.param(
            facts(PFIZER_TWICE, POSITIVE, None),
            (Color.RED, ("RECENT_POSITIVE_TEST",), None),
            id="f0-missing-positive-test-still-red",
        ),
        pytest.param(
            facts(None, POSITIVE, ACTIVE),
            (Color.RED, ("ACTIVE_F0", "RECENT_POSITIVE_TEST"), None),
            id="doses-missing-both-final-reds",
        ),
        pytest.param(
            facts(PFIZER_TWICE, [pcr(T - 14 * DAY, positive=True)], None),
            UNKNOWN,
            id="f0-missing-positive-test-out-of-window",
        ),
        pytest.param(
            facts(PFIZER_TWICE, POSITIVE, [case(T - 3 * DAY, T - DAY, "HCM-DISCHARGE-1")]),
            (Color.GREEN, ("FULLY_VACCINATED", "RECOVERED"), day(dt.date(2022, 8, 1))),
            id="all-read-recovery-after-positive-ends-it",
        ),
    ],
)
def test_missing_source(given: Facts, expected: tuple[object, ...]) -> None:
    # given facts with some policy sources unread (None)
    # when evaluated
    status = evaluate(POLICY, given, T)
    # then only a final RED holding on what was read beats UNKNOWN; never GREEN without proof
    assert (status.color, status.reasons, status.valid_until) == expected
