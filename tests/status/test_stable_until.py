"""`stable_until`: the status at T stays what it is until that instant, while the facts do.

The compiled scans remember a person's answer until then (gateway/answer_memo.py), so an
instant too late would show a colour that no longer holds. Checked against the literal
transcription of DOMAIN.md section 3 in `test_policy_random.py` (which shares nothing with the
engine), at random instants inside the interval and at its last microsecond.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from gateway.status import Color, evaluate, load_policy, stable_until
from tests.status.status_helpers import US, case, day, facts, local, pcr
from tests.status.test_policy_random import oracle, random_facts, random_instant


@pytest.mark.parametrize(("name", "with_yellow"), [("hcmc-2021-10", True), ("hcmc-2021-09", False)])
def test_the_status_holds_until_stable_until(name: str, with_yellow: bool) -> None:
    # given thousands of random people and instants, seeded, with facts at the edges of windows
    rng = random.Random(f"stable-{name}")
    policy = load_policy(name)
    changed = 0
    for i in range(3000):
        t = random_instant(rng)
        given = random_facts(rng, t)
        # when the status is evaluated at T with the instant it holds until
        status = evaluate(policy, given, t)
        until = stable_until(policy, given, t)
        answer = (status.color, status.reasons, status.valid_until)
        # then the interval is not empty and lasts at most to the next local midnight
        assert t < until <= day(t.astimezone(policy.timezone).date() + dt.timedelta(days=1))
        # and the domain text gives the same answer anywhere inside it, to its last microsecond
        span = (until - t) // US
        for inside in (t + US * rng.randrange(span), until - US):
            assert oracle(given, inside, with_yellow) == answer, (i, given, t, until, inside)
        changed += oracle(given, until, with_yellow) != answer
    # and the instant is often exactly where the answer changes (it is not merely early)
    assert changed > 300


def test_a_negative_test_holds_until_its_window_ends_within_the_day() -> None:
    # given a negative PCR sampled at 09:00, three days before 01:00
    policy = load_policy("hcmc-2021-10")
    sampled = local(2021, 11, 20, 9)
    given = facts(tests=[pcr(sampled, positive=False)])
    at = local(2021, 11, 23, 1)
    # when evaluated
    status = evaluate(policy, given, at)
    # then YELLOW, stable until the 72 h end the same morning, not until midnight
    assert status.color is Color.YELLOW
    assert stable_until(policy, given, at) == sampled + dt.timedelta(hours=72)


def test_with_no_facts_the_status_holds_until_local_midnight() -> None:
    # given no facts at all, in the evening (UTC) of one local day
    policy = load_policy("hcmc-2021-10")
    at = local(2021, 11, 23, 18, 30).astimezone(dt.UTC)
    # then the answer may change only when the local date does
    assert stable_until(policy, facts(), at) == local(2021, 11, 24)


def test_an_instant_near_the_end_of_time_is_never_reached() -> None:
    # given a recovery recorded at the last representable day (upstream data gone wrong)
    policy = load_policy("hcmc-2021-10")
    end = dt.datetime.max.replace(tzinfo=dt.UTC) - dt.timedelta(days=1)
    given = facts(cases=[case(local(2021, 11, 1), end, "HCM-7")])
    at = local(2021, 11, 23, 1)
    # then adding the policy's windows to it does not fail: the day's end still bounds it
    assert stable_until(policy, given, at) == local(2021, 11, 24)
