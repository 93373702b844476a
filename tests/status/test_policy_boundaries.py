"""Every boundary of the hcmc-2021-10 rule table, on both sides."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.status import Color, Facts, Status, evaluate, load_policy
from tests.status.status_helpers import (
    DAY,
    SECOND,
    US,
    antigen,
    case,
    day,
    doses,
    facts,
    local,
    pcr,
)

POLICY = load_policy("hcmc-2021-10")

# Pfizer twice: the series completes on 1 Sep 2021, so GREEN from day(15 Sep 2021)
# until day(1 Sep 2022); the first dose (1 Aug) matures on day(15 Aug).
D = dt.date(2021, 9, 1)
PFIZER_TWICE = doses((dt.date(2021, 8, 1), "PFIZER"), (D, "PFIZER"))
GREEN_UNTIL = day(dt.date(2022, 9, 1))
VACCINATED_AT = local(2021, 10, 20, 9)  # any instant where PFIZER_TWICE is GREEN

S = local(2021, 10, 1, 10, 30)  # a sample instant
R = local(2021, 6, 15, 9)  # a recovery instant
PROOF = "HCM-DISCHARGE-0001"


def expect(color: Color, *reasons: str, until: dt.datetime | None = None) -> tuple[object, ...]:
    return (color, reasons, until)


CASES = [
    # FULLY_VACCINATED: day(date_k + 14) <= T < day(date_k + 365)
    pytest.param(
        facts(PFIZER_TWICE),
        local(2021, 9, 14, 23, 59, 59, 999999),
        expect(Color.YELLOW, "PARTIALLY_VACCINATED"),
        id="complete-series-13-days-after-last-moment-not-yet-green",
    ),
    pytest.param(
        facts(PFIZER_TWICE),
        day(dt.date(2021, 9, 15)),
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="complete-series-14-days-after-green",
    ),
    pytest.param(
        facts(PFIZER_TWICE),
        GREEN_UNTIL - US,
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="complete-series-one-microsecond-before-day-365-green",
    ),
    pytest.param(
        facts(PFIZER_TWICE),
        GREEN_UNTIL,
        expect(Color.YELLOW, "PARTIALLY_VACCINATED"),
        id="complete-series-at-day-365-expired",
    ),
    pytest.param(
        facts(doses((D, "JANSSEN"))),
        day(D + 14 * DAY) - US,
        expect(Color.RED, "NO_PROTECTION"),
        id="janssen-13-days-after-red",
    ),
    pytest.param(
        facts(doses((D, "JANSSEN"))),
        day(D + 14 * DAY),
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="janssen-14-days-after-green",
    ),
    # PARTIALLY_VACCINATED: day(first dose + 14) <= T
    pytest.param(
        facts(doses((D, "PFIZER"))),
        day(D + 14 * DAY) - US,
        expect(Color.RED, "NO_PROTECTION"),
        id="first-dose-13-days-after-red",
    ),
    pytest.param(
        facts(doses((D, "PFIZER"))),
        day(D + 14 * DAY),
        expect(Color.YELLOW, "PARTIALLY_VACCINATED"),
        id="first-dose-14-days-after-yellow",
    ),
    pytest.param(
        facts(doses((D + DAY, "JANSSEN"))),
        local(2021, 9, 1, 23, 59, 59, 999999),
        expect(Color.RED, "NO_PROTECTION"),
        id="dose-dated-tomorrow-ignored",
    ),
    # RECENT_POSITIVE_TEST: sampled in (T - 14 days, T], final over GREEN
    pytest.param(
        facts(PFIZER_TWICE, [pcr(S, positive=True)]),
        S,
        expect(Color.RED, "RECENT_POSITIVE_TEST"),
        id="positive-sampled-exactly-at-T-red",
    ),
    pytest.param(
        facts(PFIZER_TWICE, [pcr(S + US, positive=True)]),
        S,
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="positive-sampled-after-T-ignored",
    ),
    pytest.param(
        facts(PFIZER_TWICE, [antigen(S, positive=True)]),
        S + 14 * DAY - US,
        expect(Color.RED, "RECENT_POSITIVE_TEST"),
        id="positive-one-microsecond-inside-14-days-red",
    ),
    pytest.param(
        facts(PFIZER_TWICE, [antigen(S, positive=True)]),
        S + 14 * DAY,
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="positive-exactly-14-days-before-out-of-window",
    ),
    # A recovery ends a positive test only when strictly after the sample
    pytest.param(
        facts(tests=[pcr(S, positive=True)], cases=[case(S, S, PROOF)]),
        S + DAY,
        expect(Color.RED, "RECENT_POSITIVE_TEST"),
        id="recovery-exactly-at-sample-instant-still-red",
    ),
    pytest.param(
        facts(tests=[pcr(S, positive=True)], cases=[case(S, S + SECOND, PROOF)]),
        S + DAY,
        expect(Color.GREEN, "RECOVERED", until=S + SECOND + 180 * DAY),
        id="recovery-one-second-after-sample-green",
    ),
    pytest.param(
        facts(tests=[pcr(S, positive=True)], cases=[case(S - DAY, S + 2 * DAY, PROOF)]),
        S + DAY,
        expect(Color.RED, "ACTIVE_F0", "RECENT_POSITIVE_TEST"),
        id="recovery-after-T-does-not-count",
    ),
    # RECENT_NEGATIVE_TEST: sampled in (T - 72 h, T]
    pytest.param(
        facts(tests=[pcr(S, positive=False)]),
        S,
        expect(Color.YELLOW, "RECENT_NEGATIVE_TEST", until=S + 3 * DAY),
        id="negative-sampled-exactly-at-T-yellow",
    ),
    pytest.param(
        facts(tests=[antigen(S, positive=False)]),
        S + dt.timedelta(hours=72) - US,
        expect(Color.YELLOW, "RECENT_NEGATIVE_TEST", until=S + dt.timedelta(hours=72)),
        id="negative-one-microsecond-inside-72-hours-yellow",
    ),
    pytest.param(
        facts(tests=[antigen(S, positive=False)]),
        S + dt.timedelta(hours=72),
        expect(Color.RED, "NO_PROTECTION"),
        id="negative-exactly-72-hours-before-out-of-window",
    ),
    pytest.param(
        facts(tests=[pcr(S + US, positive=False)]),
        S,
        expect(Color.RED, "NO_PROTECTION"),
        id="negative-sampled-after-T-ignored",
    ),
    # RECOVERED: recovery with proof at r, T - 180 days < r <= T
    pytest.param(
        facts(cases=[case(R - 14 * DAY, R, PROOF)]),
        R,
        expect(Color.GREEN, "RECOVERED", until=R + 180 * DAY),
        id="recovered-exactly-at-T-green",
    ),
    pytest.param(
        facts(cases=[case(R - 14 * DAY, R, PROOF)]),
        R - US,
        expect(Color.RED, "ACTIVE_F0"),
        id="recovered-one-microsecond-after-T-still-active",
    ),
    pytest.param(
        facts(cases=[case(R - 14 * DAY, R, PROOF)]),
        R + 180 * DAY - US,
        expect(Color.GREEN, "RECOVERED", until=R + 180 * DAY),
        id="recovered-one-microsecond-inside-180-days-green",
    ),
    pytest.param(
        facts(cases=[case(R - 14 * DAY, R, PROOF)]),
        R + 180 * DAY,
        expect(Color.RED, "NO_PROTECTION"),
        id="recovered-exactly-180-days-before-out-of-window",
    ),
    pytest.param(
        facts(cases=[case(R - 14 * DAY, R)]),
        R,
        expect(Color.RED, "NO_PROTECTION"),
        id="recovered-without-proof-ends-case-but-not-green",
    ),
    pytest.param(
        facts(cases=[case(R - 14 * DAY, R, "")]),
        R,
        expect(Color.RED, "NO_PROTECTION"),
        id="recovered-with-empty-proof-code-is-no-proof",
    ),
    # ACTIVE_F0: confirmed at or before T, no recovery at or before T
    pytest.param(
        facts(PFIZER_TWICE, cases=[case(VACCINATED_AT)]),
        VACCINATED_AT,
        expect(Color.RED, "ACTIVE_F0"),
        id="confirmed-exactly-at-T-red",
    ),
    pytest.param(
        facts(PFIZER_TWICE, cases=[case(VACCINATED_AT + US)]),
        VACCINATED_AT,
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="confirmed-after-T-ignored",
    ),
    pytest.param(
        facts(PFIZER_TWICE, cases=[case(VACCINATED_AT - 30 * DAY, VACCINATED_AT)]),
        VACCINATED_AT,
        expect(Color.GREEN, "FULLY_VACCINATED", until=GREEN_UNTIL),
        id="recovered-exactly-at-T-without-proof-case-ended",
    ),
]


@pytest.mark.parametrize(("given", "at", "expected"), CASES)
def test_boundary(given: Facts, at: dt.datetime, expected: tuple[object, ...]) -> None:
    # given the facts of one side of a boundary
    # when the default policy evaluates them at T
    status = evaluate(POLICY, given, at)
    # then the colour, reasons and end of validity are exactly those of the table
    assert (status.color, status.reasons, status.valid_until) == expected
    assert status.evaluated_at == at
    assert status.policy == "hcmc-2021-10"


def test_status_is_the_whole_answer() -> None:
    # given a person vaccinated twice with Pfizer
    at = day(dt.date(2021, 9, 15))
    # when evaluated on the day the series matures
    status = evaluate(POLICY, facts(PFIZER_TWICE), at)
    # then the status is exactly this record
    assert status == Status(
        color=Color.GREEN,
        reasons=("FULLY_VACCINATED",),
        valid_until=GREEN_UNTIL,
        evaluated_at=at,
        policy="hcmc-2021-10",
    )
