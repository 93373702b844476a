"""evaluate's contract: tz-aware instants only, pure, immutable values."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from importlib import resources

import pytest

from gateway.status import (
    Color,
    Dose,
    F0Case,
    LabTest,
    TestKind,
    evaluate,
    load_policy,
    policy_from_data,
)
from tests.status.status_helpers import DAY, case, doses, facts, local, pcr

POLICY = load_policy("hcmc-2021-10")
T = local(2021, 11, 20, 10)


def test_naive_instant_is_rejected() -> None:
    # given a datetime without a time zone
    naive = dt.datetime(2021, 11, 20, 10, 0)
    # when it is used as T
    with pytest.raises(ValueError) as caught:
        evaluate(POLICY, facts(), naive)
    # then evaluate refuses it rather than guess a zone
    assert str(caught.value) == (
        "evaluate() needs a timezone-aware instant, got datetime.datetime(2021, 11, 20, 10, 0)."
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: LabTest(TestKind.PCR, dt.datetime(2021, 11, 1), False),
            "LabTest.sampled_at must be a timezone-aware datetime, "
            "got datetime.datetime(2021, 11, 1, 0, 0).",
            id="lab-test",
        ),
        pytest.param(
            lambda: F0Case(dt.datetime(2021, 11, 1)),
            "F0Case.confirmed_at must be a timezone-aware datetime, "
            "got datetime.datetime(2021, 11, 1, 0, 0).",
            id="f0-confirmed",
        ),
        pytest.param(
            lambda: F0Case(T, dt.datetime(2021, 11, 1)),
            "F0Case.recovered_at must be a timezone-aware datetime, "
            "got datetime.datetime(2021, 11, 1, 0, 0).",
            id="f0-recovered",
        ),
    ],
)
def test_naive_fact_is_rejected(build: Callable[[], object], message: str) -> None:
    # given a fact built with a naive instant
    # when it is constructed
    with pytest.raises(ValueError) as caught:
        build()
    # then construction fails, naming the field
    assert str(caught.value) == message


def test_evaluate_is_pure() -> None:
    # given facts with doses out of date order, as lists
    dose_list = doses((dt.date(2021, 8, 1), "PFIZER"), (dt.date(2021, 7, 1), "PFIZER"))
    tests = [pcr(T - DAY, positive=False), pcr(T + DAY, positive=True)]
    cases = [case(T - 300 * DAY, T - 280 * DAY, "HCM-1")]
    given = facts(dose_list, tests, cases)
    snapshot = (list(dose_list), list(tests), list(cases))
    # when evaluated twice
    first = evaluate(POLICY, given, T)
    second = evaluate(POLICY, given, T)
    # then the answers are equal and the facts untouched
    assert first == second
    assert (first.color, first.reasons) == (Color.GREEN, ("FULLY_VACCINATED",))
    assert (dose_list, tests, cases) == snapshot


def test_facts_accept_tuples() -> None:
    # given facts as tuples rather than lists
    given = facts(
        (Dose(dt.date(2021, 1, 1), "JANSSEN"),), (pcr(T, positive=False),), (case(T - 99 * DAY),)
    )
    # when evaluated
    status = evaluate(POLICY, given, T)
    # then they are read like lists
    assert (status.color, status.reasons) == (Color.RED, ("ACTIVE_F0",))


def test_values_are_frozen() -> None:
    # given a status
    status = evaluate(POLICY, facts(), T)
    # when someone tries to change it
    # then it refuses
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.color = Color.GREEN  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        POLICY.name = "other"  # type: ignore[misc]


def test_red_never_has_an_end() -> None:
    # given a variant whose RED rule is of a kind that has an end (a negative test, say a city
    # that marks people tested in the last 72 h RED as contacts)
    document = json.loads(
        (resources.files("gateway.status") / "policies" / "hcmc-2021-09.json").read_text("utf-8")
    )
    document["name"] = "contacts-red"
    document["rules"].append(
        {
            "reason": "RECENT_CONTACT_TEST",
            "color": "RED",
            "kind": "recent_negative_test",
            "params": {"window": {"hours": 72}, "testKinds": ["PCR"]},
        }
    )
    variant = policy_from_data(document)
    # when a person tested 10 hours ago is evaluated
    status = evaluate(variant, facts(tests=[pcr(T - dt.timedelta(hours=10), positive=False)]), T)
    # then the colour is RED, with no validUntil
    assert (status.color, status.reasons, status.valid_until) == (
        Color.RED,
        ("RECENT_CONTACT_TEST",),
        None,
    )
