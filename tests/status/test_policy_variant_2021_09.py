"""The September 2021 pilot policy: same RED rules, GREEN by vaccination or recovery, no YELLOW."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.status import Color, Facts, evaluate, load_policy
from tests.status.status_helpers import DAY, case, day, doses, facts, local, pcr

POLICY = load_policy("hcmc-2021-09")
T = local(2021, 9, 20, 10)
PFIZER_TWICE = doses((dt.date(2021, 7, 1), "PFIZER"), (dt.date(2021, 8, 1), "PFIZER"))
ONE_DOSE = doses((dt.date(2021, 8, 1), "PFIZER"))
R = T - 30 * DAY
RECOVERED = [case(R - 14 * DAY, R, "HCM-DISCHARGE-3")]
NO_PROTECTION = (Color.RED, ("NO_PROTECTION",), None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            facts(PFIZER_TWICE),
            (Color.GREEN, ("FULLY_VACCINATED",), day(dt.date(2022, 8, 1))),
            id="fully-vaccinated-green",
        ),
        pytest.param(
            facts(cases=RECOVERED),
            (Color.GREEN, ("RECOVERED",), R + 180 * DAY),
            id="recovered-green",
        ),
        pytest.param(
            facts(PFIZER_TWICE, cases=RECOVERED),
            (Color.GREEN, ("FULLY_VACCINATED", "RECOVERED"), day(dt.date(2022, 8, 1))),
            id="both-green-reasons",
        ),
        pytest.param(facts(ONE_DOSE), NO_PROTECTION, id="partially-vaccinated-is-red"),
        pytest.param(
            facts(tests=[pcr(T - DAY, positive=False)]), NO_PROTECTION, id="negative-test-is-red"
        ),
        pytest.param(
            facts(ONE_DOSE, [pcr(T - DAY, positive=False)]),
            NO_PROTECTION,
            id="partial-and-negative-is-red",
        ),
        pytest.param(facts(), NO_PROTECTION, id="nothing-is-red"),
        pytest.param(
            facts(PFIZER_TWICE, cases=[case(T - DAY)]),
            (Color.RED, ("ACTIVE_F0",), None),
            id="active-f0-red",
        ),
        pytest.param(
            facts(PFIZER_TWICE, [pcr(T - 13 * DAY, positive=True)], None),
            (Color.RED, ("RECENT_POSITIVE_TEST",), None),
            id="positive-with-f0-missing-red",
        ),
        pytest.param(
            facts(PFIZER_TWICE, None, []),
            (Color.UNKNOWN, ("DATA_UNAVAILABLE",), None),
            id="tests-missing-unknown",
        ),
    ],
)
def test_september_policy(given: Facts, expected: tuple[object, ...]) -> None:
    # given facts
    # when evaluated under hcmc-2021-09
    status = evaluate(POLICY, given, T)
    # then there is no YELLOW: whoever is not GREEN (or RED/UNKNOWN by the shared rules) is RED
    assert (status.color, status.reasons, status.valid_until) == expected
    assert status.policy == "hcmc-2021-09"


def test_september_policy_rule_table() -> None:
    # given the two shipped policies
    october = load_policy("hcmc-2021-10")
    # when their rule tables are compared
    # then September is October without its YELLOW rules
    assert [(r.reason, r.color, r.final) for r in POLICY.rules] == [
        (r.reason, r.color, r.final) for r in october.rules if r.color is not Color.YELLOW
    ]
    assert POLICY.fallback == october.fallback
    assert POLICY.unavailable == october.unavailable
