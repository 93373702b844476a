"""Randomised consistency: the engine against a literal transcription of DOMAIN.md section 3.

The oracle below shares nothing with the engine (no policy file, no rule table): it is the
text of the table written as plainly as possible. Facts are drawn around T with a bias for
the exact edges of every window, so boundaries are hit often. Seeded: failures reproduce.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from gateway.status import Color, Dose, F0Case, Facts, LabTest, TestKind, evaluate, load_policy
from tests.status.status_helpers import TZ, day

REQUIRED = {
    "ASTRAZENECA": 2,
    "PFIZER": 2,
    "MODERNA": 2,
    "SINOPHARM": 2,
    "SPUTNIK_V": 2,
    "HAYAT_VAX": 2,
    "JANSSEN": 1,
    "ABDALA": 3,
}
PRODUCTS = [*REQUIRED, "COVAXIN"]  # the last one is unknown to the policy
Answer = tuple[Color, tuple[str, ...], dt.datetime | None]
Untils = dict[str, dt.datetime | None]
D = dt.timedelta


def oracle(facts: Facts, t: dt.datetime, with_yellow: bool) -> Answer:
    """DOMAIN.md section 3, line by line."""
    doses = sorted((d for d in facts.doses or [] if day(d.date) <= t), key=lambda d: d.date)
    tests = [x for x in facts.tests or [] if x.sampled_at <= t]
    cases = [c for c in facts.f0_cases or [] if c.confirmed_at <= t]
    red = red_reasons(tests, cases, t)
    if red:
        return Color.RED, tuple(sorted(red)), None
    if facts.doses is None or facts.tests is None or facts.f0_cases is None:
        return Color.UNKNOWN, ("DATA_UNAVAILABLE",), None
    for color, holds in (
        (Color.GREEN, green(doses, cases, t)),
        (Color.YELLOW, yellow(doses, tests, t) if with_yellow else {}),
    ):
        if holds:
            untils = list(holds.values())
            until = None if None in untils else max(u for u in untils if u is not None)
            return color, tuple(sorted(holds)), until
    return Color.RED, ("NO_PROTECTION",), None


def red_reasons(tests: list[LabTest], cases: list[F0Case], t: dt.datetime) -> list[str]:
    recoveries = [c.recovered_at for c in cases if c.recovered_at and c.recovered_at <= t]
    red = []
    if any(c.recovered_at is None or c.recovered_at > t for c in cases):
        red.append("ACTIVE_F0")
    if any(
        x.positive
        and t - D(days=14) < x.sampled_at <= t
        and not any(x.sampled_at < r <= t for r in recoveries)
        for x in tests
    ):
        red.append("RECENT_POSITIVE_TEST")
    return red


def green(doses: list[Dose], cases: list[F0Case], t: dt.datetime) -> Untils:
    holds: Untils = {}
    ends = [
        day(d.date + D(days=365))
        for k, d in enumerate(doses, start=1)
        if k >= REQUIRED.get(d.product, 10**9)
        and day(d.date + D(days=14)) <= t < day(d.date + D(days=365))
    ]
    if ends:
        holds["FULLY_VACCINATED"] = max(ends)
    proven = [
        c.recovered_at
        for c in cases
        if c.recovered_at and c.recovery_proof and t - D(days=180) < c.recovered_at <= t
    ]
    if proven:
        holds["RECOVERED"] = max(proven) + D(days=180)
    return holds


def yellow(doses: list[Dose], tests: list[LabTest], t: dt.datetime) -> Untils:
    holds: Untils = {}
    if doses and day(doses[0].date + D(days=14)) <= t:
        holds["PARTIALLY_VACCINATED"] = None
    negatives = [x.sampled_at for x in tests if not x.positive and t - D(hours=72) < x.sampled_at]
    if negatives:
        holds["RECENT_NEGATIVE_TEST"] = max(negatives) + D(hours=72)
    return holds


EDGES = [D(0), D(microseconds=1), -D(microseconds=1), D(seconds=1), -D(seconds=1)]


def near(rng: random.Random, t: dt.datetime, windows: list[D]) -> dt.datetime:
    """An instant before (sometimes just after) T, often right at one of the windows' edges."""
    if rng.random() < 0.5:
        return t - rng.choice(windows) + rng.choice(EDGES)
    return t - D(seconds=rng.randint(-3600, int(max(windows).total_seconds()) + 86400))


def random_facts(rng: random.Random, t: dt.datetime) -> Facts:
    today = t.astimezone(TZ).date()
    dose_list = [
        Dose(
            today - D(days=rng.choice([-1, 0, 13, 14, 15, 364, 365, 366, rng.randint(0, 500)])),
            rng.choice(PRODUCTS),
        )
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))
    ]
    tests = [
        LabTest(
            rng.choice(list(TestKind)),
            near(rng, t, [D(days=14), D(hours=72), D(0)]),
            rng.random() < 0.4,
        )
        for _ in range(rng.choice([0, 0, 1, 2, 3]))
    ]
    cases = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        confirmed = near(rng, t, [D(days=20), D(days=190), D(0)])
        recovered = rng.choice(
            [None, confirmed, confirmed + D(seconds=1), near(rng, t, [D(days=180), D(0)])]
        )
        if tests and rng.random() < 0.3:  # a recovery right at a sample, or just after it
            recovered = rng.choice(tests).sampled_at + rng.choice([D(0), D(seconds=1)])
        cases.append(F0Case(confirmed, recovered, rng.choice([None, "", "HCM-7", "HCM-8"])))
    sources: list[list[Dose] | list[LabTest] | list[F0Case] | None] = [dose_list, tests, cases]
    if rng.random() < 0.25:
        sources[rng.randrange(3)] = None
    return Facts(*sources)  # type: ignore[arg-type]


def random_instant(rng: random.Random) -> dt.datetime:
    local = dt.datetime(2021, 11, 20, tzinfo=TZ) + D(days=rng.randint(-30, 30))
    local += rng.choice([D(0), D(days=1) - D(microseconds=1), D(seconds=rng.randint(0, 86399))])
    return local.astimezone(dt.UTC) if rng.random() < 0.5 else local


@pytest.mark.parametrize(("name", "with_yellow"), [("hcmc-2021-10", True), ("hcmc-2021-09", False)])
def test_engine_agrees_with_the_domain_text(name: str, with_yellow: bool) -> None:
    # given thousands of random people and instants, seeded
    rng = random.Random(f"status-{name}")
    policy = load_policy(name)
    seen: set[tuple[Color, tuple[str, ...]]] = set()
    for i in range(4000):
        t = random_instant(rng)
        given = random_facts(rng, t)
        # when the engine and the oracle evaluate each
        status = evaluate(policy, given, t)
        # then they agree exactly
        expected = oracle(given, t, with_yellow)
        assert (status.color, status.reasons, status.valid_until) == expected, (i, given, t)
        seen.add((status.color, status.reasons))
    # and the sample reached every answer the policy can give
    reasons = {r for _, rs in seen for r in rs}
    assert {c for c, _ in seen} == set(Color) - (set() if with_yellow else {Color.YELLOW})
    assert "RECENT_POSITIVE_TEST" in reasons and "RECOVERED" in reasons


def test_invariants() -> None:
    # given random people and instants
    rng = random.Random("status-invariants")
    policy = load_policy("hcmc-2021-10")
    for _ in range(4000):
        t = random_instant(rng)
        given = random_facts(rng, t)
        # when evaluated
        status = evaluate(policy, given, t)
        # then: never GREEN with a source missing; RED and UNKNOWN have no end;
        # an end is always after T; reasons are sorted and never empty
        missing = None in (given.doses, given.tests, given.f0_cases)
        assert not (missing and status.color is Color.GREEN)
        assert not (missing and status.reasons == ("NO_PROTECTION",))
        if status.color in (Color.RED, Color.UNKNOWN):
            assert status.valid_until is None
        if status.valid_until is not None:
            assert status.valid_until > t
        assert status.reasons and list(status.reasons) == sorted(status.reasons)
