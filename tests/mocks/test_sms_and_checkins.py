"""The SMS gateway mock keeps what it sent; the check-in log records and filters scans."""

from __future__ import annotations

import httpx
import pytest

jsonschema = pytest.importorskip("jsonschema")


async def _valid(
    client: httpx.AsyncClient, service: str, path: str, method: str, response: httpx.Response
) -> None:
    spec = (await client.get(f"/{service}/openapi.json")).json()
    media = spec["paths"][path][method]["responses"][str(response.status_code)]["content"]
    schema = {**media["application/json"]["schema"], "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


async def test_sent_messages_are_readable_by_number_and_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    sent = await client.post(
        "/sms/messages", json={"to": "0901234567", "text": "Ma: 12345-ABCDE"}, headers=auth
    )
    listed = await client.get("/sms/messages", params={"to": "0901234567"}, headers=auth)
    one = await client.get(f"/sms/messages/{sent.json()['id']}", headers=auth)

    assert sent.status_code == 201
    await _valid(client, "sms", "/messages", "post", sent)
    await _valid(client, "sms", "/messages", "get", listed)
    assert listed.json()["messages"] == [sent.json()] == [one.json()]


@pytest.mark.parametrize(
    "body",
    [{"to": "12345", "text": "x"}, {"to": "0901234567", "text": ""}, {"to": "0901234567"}],
    ids=["bad number", "empty text", "no text"],
)
async def test_bad_messages_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, str]
) -> None:
    response = await client.post("/sms/messages", json=body, headers=auth)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def _scan(person: str, checkpoint: str, at: str) -> dict[str, str | None]:
    return {
        "personId": person,
        "checkpointId": checkpoint,
        "role": "checkpoint",
        "district": "778",
        "scannedAt": at,
    }


async def test_check_ins_by_person_and_by_checkpoint_window(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    scans = [
        _scan("P0000001", "CP-A", "2021-10-15T09:00:00+07:00"),
        _scan("P0000002", "CP-A", "2021-10-15T10:00:00+07:00"),
        _scan("P0000001", "CP-B", "2021-10-15T08:00:00+07:00"),
    ]
    for scan in scans:
        recorded = await client.post("/checkins/checkins", json=scan, headers=auth)
        assert recorded.status_code == 201
        await _valid(client, "checkins", "/checkins", "post", recorded)

    mine = await client.get("/checkins/checkins", params={"personId": "P0000001"}, headers=auth)
    window = await client.get(
        "/checkins/checkins",
        params={
            "checkpointId": "CP-A",
            "from": "2021-10-15T09:30:00+07:00",
            "to": "2021-10-15T11:00:00+07:00",
        },
        headers=auth,
    )

    await _valid(client, "checkins", "/checkins", "get", mine)
    assert [c["checkpointId"] for c in mine.json()["checkIns"]] == ["CP-B", "CP-A"]
    assert [c["personId"] for c in window.json()["checkIns"]] == ["P0000002"]


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({}, None),
        ({"checkpointId": "CP-A", "from": "yesterday"}, None),
        (None, {"personId": "P1", "checkpointId": "CP", "role": "citizen", "scannedAt": "x"}),
        (
            None,
            {
                "personId": "P1",
                "checkpointId": "CP",
                "role": "checkpoint",
                "scannedAt": "2021-10-15T09:00:00",
            },
        ),
    ],
    ids=["no filter", "bad instant", "bad role", "naive instant"],
)
async def test_bad_check_in_requests_are_refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    params: dict[str, str] | None,
    body: dict[str, str] | None,
) -> None:
    if body is None:
        response = await client.get("/checkins/checkins", params=params, headers=auth)
    else:
        response = await client.post("/checkins/checkins", json=body, headers=auth)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
