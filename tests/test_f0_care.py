"""submitF0Report end to end: validation, triage, alerts, roles and scope, idempotency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.outbox import Kind
from tests.submissions import (
    ACTIVE_F0,
    ACTIVE_F0_ELSEWHERE,
    NO_CASE,
    REPORT,
    Gateway,
    drained,
    open_gateway_with_outbox,
    records_with_key,
    report,
    reset_writes,
    stored,
)
from tests.support import MocksAdmin, error_summary, gql

ALERTS = """query($state: F0AlertState, $limit: Int! = 100) {
  f0Alerts(state: $state, limit: $limit) {
  id personId district state warnings reportId acknowledgedAt acknowledgedBy
  report { id spo2 } } }"""
ACKNOWLEDGE = """mutation($id: ID!) { acknowledgeF0Alert(id: $id) {
  id state acknowledgedBy acknowledgedAt } }"""
HISTORY = """query($id: ID!) { person(id: $id) { f0Reports { id spo2 severity delivery } } }"""


@pytest.fixture(scope="module")
async def gateway(
    mocks_transport: httpx.ASGITransport, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    """One gateway (with its own outbox) for the module: starting one costs about a second."""
    data_dir = tmp_path_factory.mktemp("f0_care")
    async with open_gateway_with_outbox(mocks_transport, data_dir) as opened:
        yield opened


@pytest.fixture(autouse=True)
async def no_write_faults(mocks: MocksAdmin) -> AsyncIterator[None]:
    await reset_writes(mocks)
    yield
    await reset_writes(mocks)


def citizen(token: Callable[..., str]) -> str:
    return str(token("citizen", person_id=ACTIVE_F0["id"]))


def officer(token: Callable[..., str], district: str = ACTIVE_F0["district"]) -> str:
    return str(token("health_officer", district=district))


async def submit(gateway: Gateway, token: str, **changes: Any) -> dict[str, Any]:
    _, body = await gql(gateway.client, REPORT, {"input": report(**changes)}, token=token)
    return body


async def test_a_routine_report_is_accepted_without_an_alert(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    body = await submit(gateway, citizen(token), temperature=38.6)

    assert "errors" not in body, body
    receipt = body["data"]["submitF0Report"]
    assert (receipt["delivery"], receipt["severity"], receipt["warnings"], receipt["alert"]) == (
        "ACCEPTED",
        "ROUTINE",
        ["FEVER"],
        None,
    )
    assert receipt["report"] == {
        "id": receipt["id"],
        "personId": ACTIVE_F0["id"],
        "spo2": 98,
        "pulse": 80,
        "temperature": 38.6,
        "respiratoryRate": 16,
        "bloodPressure": None,
        "symptoms": ["FATIGUE"],
        "warnings": ["FEVER"],
        "severity": "ROUTINE",
        "reportedByOfficer": False,
        "delivery": "ACCEPTED",
    }
    assert len(await records_with_key(mocks, "f0", receipt["id"])) == 1


@pytest.mark.parametrize(
    ("label", "changes", "warnings"),
    [
        ("SpO2 95", {"spo2": 95}, ["LOW_SPO2"]),
        ("breathing 21", {"respiratoryRate": 21}, ["FAST_BREATHING"]),
        ("pulse 121", {"pulse": 121}, ["FAST_PULSE"]),
        ("pulse 49", {"pulse": 49}, ["SLOW_PULSE"]),
        ("systolic 89", {"bloodPressure": {"systolic": 89, "diastolic": 70}}, ["LOW_SYSTOLIC"]),
        ("diastolic 59", {"bloodPressure": {"systolic": 110, "diastolic": 59}}, ["LOW_DIASTOLIC"]),
        ("chest pain", {"symptoms": ["CHEST_PAIN"]}, ["CHEST_PAIN"]),
        ("confusion", {"symptoms": ["CONFUSION"]}, ["CONFUSION"]),
        ("breathless", {"symptoms": ["SHORTNESS_OF_BREATH"]}, ["SHORTNESS_OF_BREATH"]),
        ("coughing blood", {"symptoms": ["COUGHING_BLOOD"]}, ["COUGHING_BLOOD"]),
        (
            "several",
            {"spo2": 90, "pulse": 130, "temperature": 39.0, "symptoms": ["CONFUSION"]},
            ["LOW_SPO2", "FAST_PULSE", "CONFUSION", "FEVER"],
        ),
    ],
)
async def test_each_escalation_criterion_makes_the_report_urgent_and_alerts_the_district(
    gateway: Gateway,
    token: Callable[..., str],
    label: str,
    changes: dict[str, Any],
    warnings: list[str],
) -> None:
    body = await submit(gateway, citizen(token), **changes)

    receipt = body["data"]["submitF0Report"]
    assert (receipt["severity"], receipt["warnings"]) == ("URGENT", warnings)
    alert = receipt["alert"]
    assert alert == {
        "id": alert["id"],
        "personId": ACTIVE_F0["id"],
        "district": ACTIVE_F0["district"],
        "state": "OPEN",
        "warnings": warnings,
        "reportId": receipt["id"],
    }


@pytest.mark.parametrize(
    ("label", "changes"),
    [
        ("SpO2 96", {"spo2": 96}),
        ("breathing 20", {"respiratoryRate": 20}),
        ("pulse 120", {"pulse": 120}),
        ("pulse 50", {"pulse": 50}),
        ("pressure 90/60", {"bloodPressure": {"systolic": 90, "diastolic": 60}}),
    ],
)
async def test_values_at_the_thresholds_are_routine(
    gateway: Gateway, token: Callable[..., str], label: str, changes: dict[str, Any]
) -> None:
    body = await submit(gateway, citizen(token), **changes)

    receipt = body["data"]["submitF0Report"]
    assert (receipt["severity"], receipt["warnings"], receipt["alert"]) == ("ROUTINE", [], None)


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize(
    ("label", "changes", "field"),
    [
        ("SpO2 49", {"spo2": 49}, "input.spo2"),
        ("SpO2 101", {"spo2": 101}, "input.spo2"),
        ("temperature 33.9", {"temperature": 33.9}, "input.temperature"),
        ("temperature 43.1", {"temperature": 43.1}, "input.temperature"),
        ("pulse 29", {"pulse": 29}, "input.pulse"),
        ("pulse 221", {"pulse": 221}, "input.pulse"),
        ("breathing 4", {"respiratoryRate": 4}, "input.respiratoryRate"),
        ("breathing 71", {"respiratoryRate": 71}, "input.respiratoryRate"),
        (
            "systolic 49",
            {"bloodPressure": {"systolic": 49, "diastolic": 40}},
            "input.bloodPressure.systolic",
        ),
        (
            "systolic 251",
            {"bloodPressure": {"systolic": 251, "diastolic": 90}},
            "input.bloodPressure.systolic",
        ),
        (
            "diastolic 29",
            {"bloodPressure": {"systolic": 100, "diastolic": 29}},
            "input.bloodPressure.diastolic",
        ),
        (
            "diastolic 151",
            {"bloodPressure": {"systolic": 200, "diastolic": 151}},
            "input.bloodPressure.diastolic",
        ),
        (
            "diastolic above systolic",
            {"bloodPressure": {"systolic": 100, "diastolic": 110}},
            "input.bloodPressure.diastolic",
        ),
        ("measured tomorrow", {"measuredAt": _ago(-1)}, "input.measuredAt"),
        ("measured two days ago", {"measuredAt": _ago(48)}, "input.measuredAt"),
        ("bad idempotency key", {"idempotencyKey": "a b"}, "input.idempotencyKey"),
        ("unknown symptom", {"symptoms": ["HICCUPS"]}, "input.symptoms[0]"),
        ("fractional SpO2", {"spo2": 95.5}, "input.spo2"),
        (
            "half a blood pressure",
            {"bloodPressure": {"systolic": 120}},
            "input.bloodPressure.diastolic",
        ),
    ],
)
async def test_implausible_input_is_refused_naming_the_field(
    gateway: Gateway, token: Callable[..., str], label: str, changes: dict[str, Any], field: str
) -> None:
    before = await stored(gateway, Kind.F0_REPORT)

    body = await submit(gateway, citizen(token), **changes)

    assert body["data"] in (None, {"submitF0Report": None})
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", field)
    ]
    assert await stored(gateway, Kind.F0_REPORT) == before


async def test_a_retry_returns_the_same_receipt_and_raises_no_second_alert(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    caller = citizen(token)
    first = await submit(gateway, caller, spo2=92, idempotencyKey="f0-retry")
    again = await submit(gateway, caller, spo2=92, idempotencyKey="f0-retry")

    assert again == first
    receipt = first["data"]["submitF0Report"]
    _, alerts = await gql(gateway.client, ALERTS, {}, token=officer(token))
    assert [a["reportId"] for a in alerts["data"]["f0Alerts"]].count(receipt["id"]) == 1
    assert [r["writes"] for r in await records_with_key(mocks, "f0", receipt["id"])] == [1]


async def test_alerts_list_open_first_oldest_first_and_can_be_acknowledged(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    reports = [await submit(gateway, citizen(token), spo2=spo2) for spo2 in (94, 93, 92)]
    alert_ids = [r["data"]["submitF0Report"]["alert"]["id"] for r in reports]
    ho = officer(token)

    _, acknowledged = await gql(gateway.client, ACKNOWLEDGE, {"id": alert_ids[0]}, token=ho)
    _, listed = await gql(gateway.client, ALERTS, {}, token=ho)
    _, only_open = await gql(gateway.client, ALERTS, {"state": "OPEN"}, token=ho)
    _, only_done = await gql(gateway.client, ALERTS, {"state": "ACKNOWLEDGED"}, token=ho)

    assert acknowledged["data"]["acknowledgeF0Alert"]["state"] == "ACKNOWLEDGED"
    assert acknowledged["data"]["acknowledgeF0Alert"]["acknowledgedBy"] == "HO-778-001"
    mine = [a for a in listed["data"]["f0Alerts"] if a["id"] in alert_ids]  # other tests' too
    assert [(a["id"], a["state"]) for a in mine] == [
        (alert_ids[1], "OPEN"),
        (alert_ids[2], "OPEN"),
        (alert_ids[0], "ACKNOWLEDGED"),
    ]
    assert mine[0]["report"]["spo2"] == 93
    states = [a["state"] for a in listed["data"]["f0Alerts"]]
    assert states == sorted(states, key=lambda state: state != "OPEN"), "open ones first"
    assert [a["id"] for a in only_open["data"]["f0Alerts"] if a["id"] in alert_ids] == alert_ids[1:]
    assert [a["id"] for a in only_done["data"]["f0Alerts"] if a["id"] in alert_ids] == alert_ids[:1]
    assert {a["state"] for a in only_open["data"]["f0Alerts"]} == {"OPEN"}
    assert {a["state"] for a in only_done["data"]["f0Alerts"]} == {"ACKNOWLEDGED"}


async def test_acknowledging_twice_keeps_the_first_acknowledgement(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    alert_id = (await submit(gateway, citizen(token), spo2=90))["data"]["submitF0Report"]["alert"][
        "id"
    ]
    first_officer = officer(token)
    second_officer = token("health_officer", district=ACTIVE_F0["district"], sub="HO-778-002")

    _, first = await gql(gateway.client, ACKNOWLEDGE, {"id": alert_id}, token=first_officer)
    _, second = await gql(gateway.client, ACKNOWLEDGE, {"id": alert_id}, token=second_officer)

    assert second["data"] == first["data"]


async def test_another_districts_officer_neither_sees_nor_acknowledges_the_alert(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    alert_id = (await submit(gateway, citizen(token), spo2=90))["data"]["submitF0Report"]["alert"][
        "id"
    ]
    elsewhere = officer(token, district="760")

    _, listed = await gql(gateway.client, ALERTS, {}, token=elsewhere)
    _, acknowledged = await gql(gateway.client, ACKNOWLEDGE, {"id": alert_id}, token=elsewhere)

    assert alert_id not in [a["id"] for a in listed["data"]["f0Alerts"]]
    assert {a["district"] for a in listed["data"]["f0Alerts"]} <= {"760"}
    assert acknowledged["data"] == {"acknowledgeF0Alert": None}
    assert error_summary(acknowledged) == [("NOT_FOUND", ["acknowledgeF0Alert"])]


@pytest.mark.parametrize("limit", [0, 501])
async def test_the_alert_limit_is_checked(
    gateway: Gateway, token: Callable[..., str], limit: int
) -> None:
    _, body = await gql(gateway.client, ALERTS, {"limit": limit}, token=officer(token))

    assert body["data"] == {"f0Alerts": None}
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", "limit")
    ]


@pytest.mark.parametrize("role", ["citizen", "checkpoint", "employer", "district_admin"])
async def test_only_health_officers_read_and_acknowledge_alerts(
    gateway: Gateway, token: Callable[..., str], role: str
) -> None:
    claims = {
        "citizen": {"person_id": ACTIVE_F0["id"]},
        "employer": {"employer_id": "E0001"},
    }.get(role, {"district": ACTIVE_F0["district"]})
    caller = token(role, **claims)

    _, listed = await gql(gateway.client, ALERTS, {}, token=caller)
    _, acknowledged = await gql(gateway.client, ACKNOWLEDGE, {"id": "F0A-x"}, token=caller)

    assert listed["data"] == {"f0Alerts": None}
    assert error_summary(listed) == [("FORBIDDEN", ["f0Alerts"])]
    assert acknowledged["data"] == {"acknowledgeF0Alert": None}
    assert error_summary(acknowledged) == [("FORBIDDEN", ["acknowledgeF0Alert"])]


@pytest.mark.parametrize("role", ["checkpoint", "employer", "district_admin"])
async def test_other_roles_may_not_report(
    gateway: Gateway, token: Callable[..., str], role: str
) -> None:
    claims = {"employer_id": "E0001"} if role == "employer" else {"district": ACTIVE_F0["district"]}

    body = await submit(gateway, token(role, **claims), personId=ACTIVE_F0["id"])

    assert body["data"] == {"submitF0Report": None}
    assert error_summary(body) == [("FORBIDDEN", ["submitF0Report"])]


async def test_an_officer_reports_for_an_f0_resident_of_their_district(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    body = await submit(gateway, officer(token), personId=ACTIVE_F0["id"], spo2=93)

    receipt = body["data"]["submitF0Report"]
    assert receipt["report"]["reportedByOfficer"] is True
    assert receipt["alert"]["district"] == ACTIVE_F0["district"]


@pytest.mark.parametrize(
    ("label", "role", "claims", "person_id", "expected"),
    [
        (
            "citizen without an F0 case",
            "citizen",
            {"person_id": NO_CASE["id"]},
            None,
            ("FORBIDDEN", None),
        ),
        (
            "citizen for someone else",
            "citizen",
            {"person_id": ACTIVE_F0["id"]},
            ACTIVE_F0_ELSEWHERE["id"],
            ("FORBIDDEN", None),
        ),
        (
            "officer, person without an F0 case",
            "health_officer",
            {"district": NO_CASE["district"]},
            NO_CASE["id"],
            ("BAD_USER_INPUT", "input.personId"),
        ),
        (
            "officer of another district",
            "health_officer",
            {"district": ACTIVE_F0["district"]},
            ACTIVE_F0_ELSEWHERE["id"],
            ("FORBIDDEN", None),
        ),
        (
            "officer without a person",
            "health_officer",
            {"district": ACTIVE_F0["district"]},
            None,
            ("BAD_USER_INPUT", "input.personId"),
        ),
    ],
)
async def test_reporting_outside_ones_scope_is_refused(
    gateway: Gateway,
    token: Callable[..., str],
    label: str,
    role: str,
    claims: dict[str, str],
    person_id: str | None,
    expected: tuple[str, str | None],
) -> None:
    changes = {"personId": person_id} if person_id else {}
    before = await stored(gateway, Kind.F0_REPORT)

    body = await submit(gateway, token(role, **claims), **changes)

    assert body["data"] == {"submitF0Report": None}
    assert [
        (e["extensions"]["code"], e["path"], e["extensions"].get("field")) for e in body["errors"]
    ] == [(expected[0], ["submitF0Report"], expected[1])]
    assert await stored(gateway, Kind.F0_REPORT) == before


async def test_with_the_f0_service_down_an_urgent_report_is_queued_and_alerts_at_once(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    await mocks.set_faults("f0", mode="down")

    body = await submit(gateway, citizen(token), spo2=91)
    receipt = body["data"]["submitF0Report"]
    _, alerts = await gql(gateway.client, ALERTS, {"state": "OPEN"}, token=officer(token))

    assert (receipt["delivery"], receipt["severity"]) == ("QUEUED", "URGENT")
    assert receipt["id"] in [a["reportId"] for a in alerts["data"]["f0Alerts"]]

    await mocks.set_faults("f0", mode="ok")
    await drained(gateway.outbox)

    assert [r["writes"] for r in await records_with_key(mocks, "f0", receipt["id"])] == [1]
    _, history = await gql(gateway.client, HISTORY, {"id": ACTIVE_F0["id"]}, token=citizen(token))
    assert history["data"]["person"]["f0Reports"][0] == {
        "id": receipt["id"],
        "spo2": 91,
        "severity": "URGENT",
        "delivery": "ACCEPTED",
    }


async def test_the_report_history_shows_a_new_report_at_once(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    ho = officer(token)
    await gql(gateway.client, HISTORY, {"id": ACTIVE_F0["id"]}, token=ho)  # warms the cache

    receipt = (await submit(gateway, citizen(token), spo2=97))["data"]["submitF0Report"]
    _, history = await gql(gateway.client, HISTORY, {"id": ACTIVE_F0["id"]}, token=ho)

    assert history["data"]["person"]["f0Reports"][0]["id"] == receipt["id"]
