"""The declarations mock (and the F0 reports it shares its write machinery with): one record per
Idempotency-Key, reads by person, and the lost-answer knob."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mocks.settings import MockSettings, SettingsError


def body(
    person: str = "P0000001", at: str = "2021-10-15T09:00:00+07:00", **changes: Any
) -> dict[str, Any]:
    return {
        "submissionId": f"HD-{person}-{at}",
        "personId": person,
        "submittedAt": at,
        "placesVisited": [{"province": "79", "district": "778"}],
        "symptoms": [],
        "exposures": [],
        "address": {"district": "778", "ward": "Phường Tân Phong"},
        "phone": "0901234567",
        "submittedBy": {"role": "citizen", "subject": person},
        "digest": "0" * 64,
        **changes,
    }


def report(person: str = "P0000017", **changes: Any) -> dict[str, Any]:
    vitals = [("9279-1", 16), ("8867-4", 80), ("8310-5", 37.0), ("59408-5", 98)]
    return {
        "submissionId": f"F0R-{person}",
        "personId": person,
        "measuredAt": "2021-10-15T08:00:00+07:00",
        "submittedAt": "2021-10-15T08:01:00+07:00",
        "observations": [{"code": code, "value": value} for code, value in vitals],
        "symptoms": [],
        "warnings": [],
        "severity": "ROUTINE",
        "submittedBy": {"role": "citizen", "subject": person},
        **changes,
    }


async def post(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    path: str,
    sent: dict[str, Any],
    key: str | None,
) -> httpx.Response:
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    return await client.post(path, json=sent, headers=headers)


async def test_a_key_stores_one_record_and_a_retry_answers_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await post(client, auth, "/declarations/declarations", body(), "key-1")
    again = await post(client, auth, "/declarations/declarations", body(), "key-1")
    conflict = await post(client, auth, "/declarations/declarations", body(phone="0"), "key-1")
    records = (await client.get("/declarations/_admin/records")).json()

    assert (first.status_code, again.status_code, conflict.status_code) == (201, 200, 409)
    assert again.json() == first.json()
    assert first.json()["idempotencyKey"] == "key-1"
    assert conflict.json()["error"] == "idempotency_conflict"
    assert (records["count"], records["writes"], records["lostAnswers"]) == (1, 3, 0)
    assert records["records"][0]["writes"] == 3


@pytest.mark.parametrize(
    ("label", "sent", "key"),
    [
        ("no key", body(), None),
        ("no person", body(personId=""), "k"),
        ("naive instant", body(submittedAt="2021-10-15T09:00:00"), "k"),
        ("places not a list", body(placesVisited="79"), "k"),
        ("no address", {k: v for k, v in body().items() if k != "address"}, "k"),
    ],
)
async def test_a_malformed_write_is_refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    label: str,
    sent: dict[str, Any],
    key: str | None,
) -> None:
    response = await post(client, auth, "/declarations/declarations", sent, key)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert (await client.get("/declarations/_admin/records")).json()["count"] == 0


async def test_reads_by_person_history_and_latest(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for i, at in enumerate(["2021-10-15T09:00:00+07:00", "2021-10-16T09:00:00+07:00"]):
        await post(client, auth, "/declarations/declarations", body(at=at), f"a{i}")
    await post(client, auth, "/declarations/declarations", body("P0000002"), "b")

    history = await client.get(
        "/declarations/declarations", params={"personId": "P0000001"}, headers=auth
    )
    latest = await client.post(
        "/declarations/declarations/latest",
        json={"personIds": ["P0000001", "P0000002", "P0000003"]},
        headers=auth,
    )
    search = await client.post(
        "/declarations/declarations/search", json={"personIds": ["P0000002"]}, headers=auth
    )

    assert [d["idempotencyKey"] for d in history.json()["declarations"]] == ["a0", "a1"]
    assert [d["idempotencyKey"] for d in latest.json()["declarations"]] == ["a1", "b"]
    assert [d["idempotencyKey"] for d in search.json()["declarations"]] == ["b"]


async def test_a_lost_answer_stores_the_record_then_answers_503(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    knob = await client.put("/declarations/_admin/writes", json={"lostAnswerRate": 1})

    lost = await post(client, auth, "/declarations/declarations", body(), "lost-1")
    await client.delete("/declarations/_admin/writes")
    retried = await post(client, auth, "/declarations/declarations", body(), "lost-1")
    records = (await client.get("/declarations/_admin/records")).json()

    assert knob.json() == {"lostAnswerRate": 1.0}
    assert (lost.status_code, retried.status_code) == (503, 200)
    assert (records["count"], records["lostAnswers"]) == (1, 1)


@pytest.mark.parametrize("knob", [{"lostAnswerRate": 2}, {"lostAnswerRate": True}, {"rate": 0.5}])
async def test_invalid_write_knobs_are_refused(
    client: httpx.AsyncClient, knob: dict[str, Any]
) -> None:
    response = await client.put("/declarations/_admin/writes", json=knob)

    assert response.status_code == 400
    assert (await client.get("/declarations/_admin/writes")).json() == {"lostAnswerRate": 0.0}


def test_the_lost_answer_rate_is_read_from_the_environment() -> None:
    settings = MockSettings.from_env({"MOCK_DECLARATIONS_LOST_ANSWER_RATE": "0.25"})

    assert settings.lost_answer_rates["declarations"] == 0.25
    assert settings.lost_answer_rates["f0"] == 0.0
    with pytest.raises(SettingsError, match="MOCK_F0_LOST_ANSWER_RATE"):
        MockSettings.from_env({"MOCK_F0_LOST_ANSWER_RATE": "1.5"})


async def test_f0_reports_are_written_once_and_read_by_person(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await post(client, auth, "/f0/reports", report(), "r1")
    again = await post(client, auth, "/f0/reports", report(), "r1")
    by_person = await client.get("/f0/reports", params={"personId": "P0000017"}, headers=auth)
    search = await client.post("/f0/reports/search", json={"personIds": ["P0000017"]}, headers=auth)

    assert (first.status_code, again.status_code) == (201, 200)
    assert [r["idempotencyKey"] for r in by_person.json()["reports"]] == ["r1"]
    assert search.json() == by_person.json()


async def test_an_f0_report_without_its_vital_signs_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await post(client, auth, "/f0/reports", report(observations=[]), "r2")

    assert response.status_code == 400
    assert "9279-1" in response.json()["message"]
