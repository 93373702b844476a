"""Tests of the acceptance oracle itself, against cases hand-computed from DOMAIN.md section 3."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.reference_policy import evaluate_raw

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
T = datetime(2021, 10, 15, 10, 0, tzinfo=HCMC)
TODAY = T.date()
CVX_NAMES = {"210": "AstraZeneca", "208": "Pfizer", "207": "Moderna", "212": "Janssen"}


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def imm(cvx: str, when: str, name: str | None = None, status: str = "completed") -> dict:
    coding = [{"system": "http://hl7.org/fhir/sid/cvx", "code": cvx}]
    if name:
        coding.append(
            {
                "system": "https://ec.europa.eu/health/documents/community-register/html/",
                "code": name,
            }
        )
    return {
        "resourceType": "Immunization",
        "status": status,
        "vaccineCode": {"coding": coding, "text": name or CVX_NAMES.get(cvx, "?")},
        "patient": {"reference": "Patient/p1"},
        "occurrenceDateTime": when,
    }


def obs(sampled: datetime, positive: bool, loinc: str = "94500-6", status: str = "final") -> dict:
    snomed = "260373001" if positive else "260415000"
    return {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": sampled.isoformat(),
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": snomed}]},
    }


def case(confirmed: datetime, recovered: datetime | None = None, proof: str | None = None) -> dict:
    return {
        "caseId": "c1",
        "personId": "p1",
        "confirmedAt": confirmed.isoformat(),
        "recoveredAt": recovered.isoformat() if recovered else None,
        "recoveryProof": proof,
    }


def day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=HCMC)


def test_second_dose_14_days_ago_is_green_13_is_yellow() -> None:
    green = evaluate_raw([imm("208", ago(40)), imm("208", ago(14))], [], [], T)
    assert green == ("GREEN", ["FULLY_VACCINATED"], day(TODAY - timedelta(days=14 - 365)))
    assert evaluate_raw([imm("208", ago(40)), imm("208", ago(13))], [], [], T) == (
        "YELLOW",
        ["PARTIALLY_VACCINATED"],
        None,
    )


def test_series_expires_at_day_365() -> None:
    doses = [imm("210", ago(400)), imm("210", ago(365))]
    midnight = day(TODAY)  # == day(date_2 + 365): no longer GREEN
    assert evaluate_raw(doses, [], [], midnight)[0] == "YELLOW"
    just_before = midnight - timedelta(seconds=1)
    assert evaluate_raw(doses, [], [], just_before) == ("GREEN", ["FULLY_VACCINATED"], midnight)


def test_negative_test_71_hours_yellow_72_and_73_red() -> None:
    s = T - timedelta(hours=71)
    assert evaluate_raw([], [obs(s, False, "94558-4")], [], T) == (
        "YELLOW",
        ["RECENT_NEGATIVE_TEST"],
        s + timedelta(hours=72),
    )
    for hours in (72, 73):
        assert evaluate_raw([], [obs(T - timedelta(hours=hours), False)], [], T) == (
            "RED",
            ["NO_PROTECTION"],
            None,
        )


def test_recovery_with_proof_179_days_green_181_red() -> None:
    r = T - timedelta(days=179)
    cases = [case(r - timedelta(days=12), r, "DISCHARGE_PAPER")]
    assert evaluate_raw([], [], cases, T) == ("GREEN", ["RECOVERED"], r + timedelta(days=180))
    r = T - timedelta(days=181)
    cases = [case(r - timedelta(days=12), r, "DISCHARGE_PAPER")]
    assert evaluate_raw([], [], cases, T) == ("RED", ["NO_PROTECTION"], None)


def test_recovery_without_proof_ends_case_but_is_not_green() -> None:
    r = T - timedelta(days=5)
    assert evaluate_raw([], [], [case(r - timedelta(days=10), r)], T) == (
        "RED",
        ["NO_PROTECTION"],
        None,
    )


def test_mixed_astrazeneca_then_pfizer_is_complete() -> None:
    doses = [imm("210", ago(90)), imm("208", ago(30))]
    assert evaluate_raw(doses, [], [], T)[:2] == ("GREEN", ["FULLY_VACCINATED"])
    assert evaluate_raw(doses[:1], [], [], T)[:2] == ("YELLOW", ["PARTIALLY_VACCINATED"])


def test_two_abdala_partial_three_complete() -> None:
    doses = [imm("500", ago(d), "Abdala") for d in (70, 50, 30)]
    assert evaluate_raw(doses[:2], [], [], T)[:2] == ("YELLOW", ["PARTIALLY_VACCINATED"])
    assert evaluate_raw(doses, [], [], T) == (
        "GREEN",
        ["FULLY_VACCINATED"],
        day(TODAY + timedelta(days=335)),
    )
    hayat = [imm("500", ago(d), "Hayat-Vax") for d in (50, 30)]
    assert evaluate_raw(hayat, [], [], T)[0] == "GREEN"


def test_product_from_text_only_and_unknown_product_never_completes() -> None:
    text_only = [imm("500", ago(d)) for d in (70, 50, 30)]
    for dose in text_only:
        dose["vaccineCode"]["text"] = "Abdala"
    assert evaluate_raw(text_only, [], [], T)[0] == "GREEN"
    unknown = [imm("500", ago(d)) for d in (70, 50, 30)]
    assert evaluate_raw(unknown, [], [], T)[:2] == ("YELLOW", ["PARTIALLY_VACCINATED"])


def test_single_janssen_dose_and_ignored_facts() -> None:
    assert evaluate_raw([imm("212", ago(14))], [], [], T)[:2] == ("GREEN", ["FULLY_VACCINATED"])
    not_done = [imm("212", ago(30), status="entered-in-error")]
    assert evaluate_raw(not_done, [], [], T)[0] == "RED"
    future = [imm("208", ago(60)), imm("208", ago(-1))]  # second dose dated tomorrow
    assert evaluate_raw(future, [], [], T)[:2] == ("YELLOW", ["PARTIALLY_VACCINATED"])


def test_positive_13_days_ago_beats_green_14_days_does_not() -> None:
    doses = [imm("212", ago(100))]
    positive = obs(T - timedelta(days=13), True)
    assert evaluate_raw(doses, [positive], [], T) == ("RED", ["RECENT_POSITIVE_TEST"], None)
    old = obs(T - timedelta(days=14), True)
    assert evaluate_raw(doses, [old], [], T)[0] == "GREEN"
    other = obs(T - timedelta(days=1), True, loinc="12345-6")
    preliminary = obs(T - timedelta(days=1), True, status="preliminary")
    assert evaluate_raw(doses, [other, preliminary], [], T)[0] == "GREEN"


def test_positive_then_recovered_is_not_red() -> None:
    s = T - timedelta(days=10)
    r = T - timedelta(days=2)
    cases = [case(s + timedelta(hours=6), r, "HOME_CARE_TEAM_CONFIRMATION")]
    assert evaluate_raw([], [obs(s, True)], cases, T) == (
        "GREEN",
        ["RECOVERED"],
        r + timedelta(days=180),
    )
    # recovery before the sample does not clear it
    old = [case(s - timedelta(days=30), s - timedelta(hours=1), "DISCHARGE_PAPER")]
    assert evaluate_raw([], [obs(s, True)], old, T)[:2] == ("RED", ["RECENT_POSITIVE_TEST"])


def test_active_f0_and_positive_both_listed_future_recovery_ignored() -> None:
    s = T - timedelta(days=3)
    cases = [case(s + timedelta(hours=5), T + timedelta(days=1), "DISCHARGE_PAPER")]
    assert evaluate_raw([], [obs(s, True)], cases, T) == (
        "RED",
        ["ACTIVE_F0", "RECENT_POSITIVE_TEST"],
        None,
    )
    future_case = [case(T + timedelta(hours=1))]
    assert evaluate_raw([], [], future_case, T) == ("RED", ["NO_PROTECTION"], None)


def test_two_green_reasons_take_latest_valid_until() -> None:
    doses = [imm("208", ago(60)), imm("208", ago(30))]
    r = T - timedelta(days=1)
    cases = [case(r - timedelta(days=12), r, "WARD_ISOLATION_COMPLETION")]
    assert evaluate_raw(doses, [], cases, T) == (
        "GREEN",
        ["FULLY_VACCINATED", "RECOVERED"],
        day(TODAY + timedelta(days=335)),
    )


def test_two_yellow_reasons_have_no_valid_until() -> None:
    doses = [imm("207", ago(20))]
    assert evaluate_raw(doses, [obs(T - timedelta(hours=2), False)], [], T) == (
        "YELLOW",
        ["PARTIALLY_VACCINATED", "RECENT_NEGATIVE_TEST"],
        None,
    )


def test_unknown_when_a_source_is_missing_unless_red_holds() -> None:
    green = [imm("212", ago(100))]
    assert evaluate_raw(green, [], None, T) == ("UNKNOWN", ["DATA_UNAVAILABLE"], None)
    assert evaluate_raw(None, [], [], T) == ("UNKNOWN", ["DATA_UNAVAILABLE"], None)
    positive = [obs(T - timedelta(days=1), True)]
    assert evaluate_raw(None, positive, None, T) == ("RED", ["RECENT_POSITIVE_TEST"], None)
    assert evaluate_raw(green, None, [case(T - timedelta(days=2))], T)[:2] == ("RED", ["ACTIVE_F0"])


def test_policy_2021_09_has_no_yellow() -> None:
    partial = [imm("208", ago(30))]
    assert evaluate_raw(partial, [], [], T, "hcmc-2021-09") == ("RED", ["NO_PROTECTION"], None)
    full = [imm("212", ago(30))]
    assert evaluate_raw(full, [], [], T, "hcmc-2021-09")[:2] == ("GREEN", ["FULLY_VACCINATED"])
