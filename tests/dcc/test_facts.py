"""A certificate's status: the city's policy evaluated on what the certificate proves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from gateway.dcc import hcert
from gateway.dcc.facts import facts_of, status_of
from gateway.status import Color, load_policy
from gateway.timezone import LOCAL
from tests.dcc.forge import recovery, test_result, vaccination

POLICY = load_policy("hcmc-2021-10")
FAR = datetime(2030, 1, 1, tzinfo=LOCAL)  # a credential expiry that never binds
DOSE_DAY = date(2021, 6, 1)


def day(on: date, days: int = 0) -> datetime:
    """00:00 in Ho Chi Minh City of `on` + `days`."""
    return datetime.combine(on + timedelta(days=days), time(), LOCAL)


def status(
    certificate: dict[str, object], at: datetime, expires: datetime = FAR
) -> tuple[Color, tuple[str, ...], datetime | None]:
    result = status_of(hcert.parse(certificate), expires, POLICY, at)
    return result.color, result.reasons, result.valid_until


@pytest.mark.parametrize(
    ("dn", "sd", "product"),
    [(2, 2, "EU/1/20/1528"), (1, 1, "EU/1/20/1525"), (3, 3, "EU/1/20/1507"), (2, 2, "Abdala")],
    ids=["two-of-two", "janssen-one-of-one", "booster-three-of-three", "abdala-two-of-two"],
)
def test_a_complete_series_is_green_from_day_14_to_day_365(dn: int, sd: int, product: str) -> None:
    # Abdala needs three doses in the city's table, but the EU reading (dn >= sd) decides.
    certificate = vaccination(dn=dn, sd=sd, dt=DOSE_DAY.isoformat())
    certificate["v"][0]["mp"] = product  # type: ignore[index]

    assert status(certificate, day(DOSE_DAY, 13)) == (Color.RED, ("NO_PROTECTION",), None)
    assert status(certificate, day(DOSE_DAY, 14)) == (
        Color.GREEN,
        ("FULLY_VACCINATED",),
        day(DOSE_DAY, 365),
    )
    assert status(certificate, day(DOSE_DAY, 365) - timedelta(seconds=1))[0] is Color.GREEN
    # Past the series' year, the dose still counts as a first dose; the credential bounds it.
    assert status(certificate, day(DOSE_DAY, 365)) == (
        Color.YELLOW,
        ("PARTIALLY_VACCINATED",),
        FAR,
    )


def test_an_incomplete_series_is_partial_protection_only() -> None:
    certificate = vaccination(dn=1, sd=2, dt=DOSE_DAY.isoformat())

    assert status(certificate, day(DOSE_DAY, 13)) == (Color.RED, ("NO_PROTECTION",), None)
    assert status(certificate, day(DOSE_DAY, 400)) == (
        Color.YELLOW,
        ("PARTIALLY_VACCINATED",),
        FAR,
    )


def test_an_incomplete_certificate_maps_to_doses_that_never_complete() -> None:
    facts = facts_of(hcert.parse(vaccination(dn=2, sd=3)), POLICY, day(DOSE_DAY, 30))

    assert facts.doses is not None and len(facts.doses) == 2
    assert all(d.product not in POLICY.required_doses for d in facts.doses)
    assert (facts.tests, facts.f0_cases) == ([], [])


def test_validity_never_outlasts_the_credential() -> None:
    expires = day(DOSE_DAY, 100)

    assert status(vaccination(dt=DOSE_DAY.isoformat()), day(DOSE_DAY, 20), expires) == (
        Color.GREEN,
        ("FULLY_VACCINATED",),
        expires,
    )


def test_the_same_certificate_under_the_older_policy_variant() -> None:
    older = load_policy("hcmc-2021-09")
    certificate = hcert.parse(vaccination(dn=1, sd=2, dt=DOSE_DAY.isoformat()))

    assert status_of(certificate, FAR, older, day(DOSE_DAY, 30)).color is Color.RED
    complete = hcert.parse(vaccination(dt=DOSE_DAY.isoformat()))
    assert status_of(complete, FAR, older, day(DOSE_DAY, 30)).reasons == ("FULLY_VACCINATED",)


SAMPLE = datetime(2021, 6, 1, 8, 0, tzinfo=LOCAL)


@pytest.mark.parametrize("test_type", ["LP6464-4", "LP217198-3"], ids=["naat", "rapid-antigen"])
def test_a_negative_test_is_yellow_for_72_hours(test_type: str) -> None:
    certificate = test_result(tt=test_type, tr="260415000", sc=SAMPLE.isoformat())

    assert status(certificate, SAMPLE + timedelta(hours=71)) == (
        Color.YELLOW,
        ("RECENT_NEGATIVE_TEST",),
        SAMPLE + timedelta(hours=72),
    )
    assert status(certificate, SAMPLE + timedelta(hours=72))[0] is Color.RED


def test_a_test_certificate_maps_type_and_result() -> None:
    naat = facts_of(hcert.parse(test_result(tt="LP6464-4")), POLICY, SAMPLE)
    antigen = facts_of(hcert.parse(test_result(tt="LP217198-3", tr="260373001")), POLICY, SAMPLE)

    assert naat.tests is not None and antigen.tests is not None
    assert [(t.kind.value, t.positive) for t in naat.tests] == [("PCR", False)]
    assert [(t.kind.value, t.positive) for t in antigen.tests] == [("ANTIGEN", True)]


def test_a_positive_test_is_red_for_14_days() -> None:
    certificate = test_result(tt="LP217198-3", tr="260373001", sc=SAMPLE.isoformat())

    assert status(certificate, SAMPLE + timedelta(days=1)) == (
        Color.RED,
        ("RECENT_POSITIVE_TEST",),
        None,
    )
    assert status(certificate, SAMPLE + timedelta(days=14))[1] == ("NO_PROTECTION",)


FIRST_POSITIVE, VALID_FROM, VALID_UNTIL = date(2021, 5, 1), date(2021, 5, 12), date(2021, 10, 28)


def test_a_recovery_counts_from_valid_from_to_the_end_of_valid_until() -> None:
    certificate = recovery(
        fr=FIRST_POSITIVE.isoformat(), df=VALID_FROM.isoformat(), du=VALID_UNTIL.isoformat()
    )
    end = day(VALID_UNTIL, 1)

    assert status(certificate, day(VALID_FROM) - timedelta(seconds=1)) == (
        Color.RED,
        ("NO_PROTECTION",),
        None,
    )
    assert status(certificate, day(VALID_FROM)) == (Color.GREEN, ("RECOVERED",), end)
    assert status(certificate, end - timedelta(seconds=1)) == (Color.GREEN, ("RECOVERED",), end)
    assert status(certificate, end) == (Color.RED, ("NO_PROTECTION",), None)


def test_a_recovery_longer_than_the_policy_window_ends_with_the_window() -> None:
    # The city counts a recovery 180 days; a foreign certificate valid longer gains nothing.
    certificate = recovery(fr="2021-05-01", df="2021-05-12", du="2022-05-01")
    window_end = day(VALID_FROM, 180)

    assert status(certificate, day(VALID_FROM, 10)) == (
        Color.GREEN,
        ("RECOVERED",),
        window_end,
    )
    assert status(certificate, window_end)[0] is Color.RED


def test_a_certificate_never_leaves_the_colour_unknown() -> None:
    facts = facts_of(hcert.parse(recovery()), POLICY, day(DOSE_DAY))

    assert (facts.doses, facts.tests) == ([], [])
    assert facts.f0_cases is not None
