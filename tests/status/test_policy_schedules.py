"""Dose schedules: mixed series, products, boosters and unknown products."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.status import Color, Dose, evaluate, load_policy
from tests.status.status_helpers import DAY, day, doses, facts, local

POLICY = load_policy("hcmc-2021-10")
T = local(2021, 11, 20, 10)  # every dose below is more than 14 days old at T
D1, D2, D3 = dt.date(2021, 7, 1), dt.date(2021, 8, 1), dt.date(2021, 9, 1)


def green_until(last: dt.date) -> tuple[object, ...]:
    return (Color.GREEN, ("FULLY_VACCINATED",), day(last + 365 * DAY))


PARTIAL = (Color.YELLOW, ("PARTIALLY_VACCINATED",), None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param([(D1, "ASTRAZENECA"), (D2, "PFIZER")], green_until(D2), id="az-then-pfizer"),
        pytest.param([(D1, "ABDALA"), (D2, "ABDALA")], PARTIAL, id="abdala-twice-incomplete"),
        pytest.param(
            [(D1, "ABDALA"), (D2, "ABDALA"), (D3, "ABDALA")], green_until(D3), id="abdala-3x"
        ),
        pytest.param([(D1, "JANSSEN")], green_until(D1), id="janssen-once"),
        pytest.param([(D1, "PFIZER"), (D2, "JANSSEN")], green_until(D2), id="pfizer-then-janssen"),
        pytest.param([(D1, "PFIZER"), (D2, "ABDALA")], PARTIAL, id="pfizer-then-abdala-incomplete"),
        pytest.param(
            [(D1, "ABDALA"), (D2, "ABDALA"), (D3, "MODERNA")],
            green_until(D3),
            id="abdala-twice-then-moderna",
        ),
        pytest.param(
            [(D2, "PFIZER"), (D1, "PFIZER")], green_until(D2), id="doses-given-out-of-order"
        ),
    ],
)
def test_mixed_schedule(given: list[tuple[dt.date, str]], expected: tuple[object, ...]) -> None:
    # given a dose history, more than 14 days after its last dose
    # when evaluated
    status = evaluate(POLICY, facts(doses(*given)), T)
    # then a series completes exactly when k >= the required doses of dose k's product
    assert (status.color, status.reasons, status.valid_until) == expected


REQUIRED = {
    "ASTRAZENECA": 2,
    "PFIZER": 2,
    "MODERNA": 2,
    "SINOPHARM": 2,
    "SPUTNIK_V": 2,
    "JANSSEN": 1,
    "ABDALA": 3,
    "HAYAT_VAX": 2,
}


@pytest.mark.parametrize(("product", "required"), sorted(REQUIRED.items()))
def test_each_product_completes_at_its_required_dose(product: str, required: int) -> None:
    # given `required` doses of one product, 30 days apart, the last on D3
    dates = [D3 - 30 * i * DAY for i in reversed(range(required))]
    one_short = facts([Dose(d, product) for d in dates[:-1]])
    complete = facts([Dose(d, product) for d in dates])
    # when evaluated with one dose short and with all of them
    short_status = evaluate(POLICY, one_short, T)
    complete_status = evaluate(POLICY, complete, T)
    # then only the full count is GREEN
    expected_short = PARTIAL if required > 1 else (Color.RED, ("NO_PROTECTION",), None)
    assert (short_status.color, short_status.reasons, short_status.valid_until) == expected_short
    assert (complete_status.color, complete_status.reasons) == (
        Color.GREEN,
        ("FULLY_VACCINATED",),
    )
    assert complete_status.valid_until == day(D3 + 365 * DAY)


BOOSTED = doses((D1, "ASTRAZENECA"), (D2, "ASTRAZENECA"), (dt.date(2022, 3, 1), "PFIZER"))


@pytest.mark.parametrize(
    ("at", "until"),
    [
        pytest.param(
            local(2022, 3, 14, 23, 59), day(D2 + 365 * DAY), id="booster-13-days-old-not-yet"
        ),
        pytest.param(day(dt.date(2022, 3, 15)), day(dt.date(2023, 3, 1)), id="booster-matured"),
        pytest.param(
            day(D2 + 365 * DAY), day(dt.date(2023, 3, 1)), id="booster-after-primary-expired"
        ),
    ],
)
def test_booster_extends_valid_until(at: dt.datetime, until: dt.datetime) -> None:
    # given two AstraZeneca doses and a Pfizer booster on 1 Mar 2022
    # when evaluated before and after the booster matures
    status = evaluate(POLICY, facts(BOOSTED), at)
    # then validUntil is the latest day(date_k + 365) of the qualifying series
    assert (status.color, status.reasons, status.valid_until) == (
        Color.GREEN,
        ("FULLY_VACCINATED",),
        until,
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param([(D1, "COVAXIN")], PARTIAL, id="unknown-alone-counts-as-first-dose"),
        pytest.param([(D1, "COVAXIN"), (D2, "COVAXIN")], PARTIAL, id="unknown-never-completes"),
        pytest.param([(D1, "COVAXIN"), (D2, "PFIZER")], green_until(D2), id="unknown-then-pfizer"),
        pytest.param([(D1, "PFIZER"), (D2, "COVAXIN")], PARTIAL, id="pfizer-then-unknown"),
        pytest.param([(D1, "pfizer"), (D2, "pfizer")], PARTIAL, id="product-keys-are-exact"),
    ],
)
def test_unknown_product(given: list[tuple[dt.date, str]], expected: tuple[object, ...]) -> None:
    # given doses of a product the policy does not list
    # when evaluated
    status = evaluate(POLICY, facts(doses(*given)), T)
    # then they count as doses but never complete a series themselves
    assert (status.color, status.reasons, status.valid_until) == expected
