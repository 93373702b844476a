"""An employer at its gate: scans like a checkpoint (QR or SMS code), sees only the minimal
fields, is recorded in the check-in log, and prints QR cards for its approved workers."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.checkpoint_support import MY_QR, SCAN, SCAN_WITH_PERSON, decode_pdf
from tests.support import MocksAdmin, error_summary, gql
from tests.test_sms_codes import SEND, last_code

LIST = "WL-0006"  # E0006's approved list of 1,000+ workers
WORKERS = '{ workerList(id: "WL-0006") { workers(first: 3) { edges { node { id maskedName } } } } }'
PRINT = """mutation($list: ID!, $ids: [ID!]) { printWorkerCards(listId: $list, personIds: $ids) {
  cards contentType pdfBase64 } }"""


def employer(token: Callable[..., str], employer_id: str = "E0006") -> str:
    return token("employer", employer_id=employer_id)


@pytest.fixture(scope="module")
async def workers(client: httpx.AsyncClient, token: Callable[..., str]) -> list[dict[str, Any]]:
    _, body = await gql(client, WORKERS, token=employer(token))
    return [edge["node"] for edge in body["data"]["workerList"]["workers"]["edges"]]


async def test_an_employer_scanning_a_qr_sees_the_minimal_fields_only(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, mine = await gql(client, MY_QR, token=token("citizen", person_id="P0000002"))
    payload = mine["data"]["me"]["qr"]["payload"]

    _, body = await gql(client, SCAN_WITH_PERSON, {"qr": payload}, token=employer(token))

    status = body["data"]["personStatus"]
    assert status["color"] == "GREEN" and "***" in status["maskedName"]
    assert status["person"] is None
    assert error_summary(body) == [("FORBIDDEN", ["personStatus", "person"])]


async def test_an_employer_scans_an_sms_code_and_the_scan_is_logged_with_its_district(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    person = await mocks.get("/identity/persons/P0000004")
    await gql(client, SEND, {"id": person["id"]}, token=token("health_officer", district="787"))
    code, _ = await last_code(mocks, person["phone"])
    enterprise = await mocks.get("/workforce/enterprises/E0006")
    caller = token("employer", employer_id="E0006", sub="E0006-GATE-2")

    _, body = await gql(client, SCAN, {"smsCode": code}, token=caller)

    assert body["data"]["personStatus"]["color"] == "GREEN"
    assert "errors" not in body
    logged = await _check_ins(mocks, person["id"], "E0006-GATE-2")
    assert [(c["role"], c["district"]) for c in logged] == [("employer", enterprise["district"])]


async def _check_ins(mocks: MocksAdmin, person_id: str, scanner: str) -> list[dict[str, Any]]:
    for _ in range(100):
        answer = await mocks.get("/checkins/checkins", personId=person_id)
        found = [c for c in answer["checkIns"] if c["checkpointId"] == scanner]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no check-in of {person_id} by {scanner}")


async def test_an_employer_prints_cards_for_workers_of_its_approved_list(
    client: httpx.AsyncClient, token: Callable[..., str], workers: list[dict[str, Any]]
) -> None:
    ids = [w["id"] for w in workers]

    _, body = await gql(client, PRINT, {"list": LIST, "ids": ids}, token=employer(token))

    assert "errors" not in body, body
    printed = body["data"]["printWorkerCards"]
    assert (printed["cards"], printed["contentType"]) == (3, "application/pdf")
    [payloads] = decode_pdf(base64.b64decode(printed["pdfBase64"]))
    scanned = []
    for payload in payloads:
        _, scan = await gql(client, SCAN, {"qr": payload}, token=employer(token))
        scanned.append(scan["data"]["personStatus"]["maskedName"])
    assert sorted(scanned) == sorted(w["maskedName"] for w in workers)


@pytest.mark.parametrize(
    ("case", "variables", "field"),
    [
        ("a person not on the list", {"list": LIST, "ids": ["P0000001"]}, "personIds"),
        ("the whole list beyond one print", {"list": LIST, "ids": None}, "personIds"),
    ],
    ids=["stranger", "too many"],
)
async def test_worker_cards_refuse_what_the_list_does_not_allow(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    case: str,
    variables: dict[str, Any],
    field: str,
) -> None:
    _, body = await gql(client, PRINT, variables, token=employer(token))

    assert body["data"] == {"printWorkerCards": None}, case
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", field)
    ]


async def test_another_employer_cannot_print_a_lists_cards(
    client: httpx.AsyncClient, token: Callable[..., str], workers: list[dict[str, Any]]
) -> None:
    _, body = await gql(
        client, PRINT, {"list": LIST, "ids": [workers[0]["id"]]}, token=employer(token, "E0007")
    )

    assert body["data"] == {"printWorkerCards": None}
    assert error_summary(body) == [("FORBIDDEN", ["printWorkerCards"])]


@pytest.mark.parametrize("role", ["checkpoint", "health_officer", "district_admin", "citizen"])
async def test_only_employers_print_worker_cards(
    client: httpx.AsyncClient, token: Callable[..., str], role: str
) -> None:
    claims = {"person_id": "P0000001"} if role == "citizen" else {"district": "778"}
    _, body = await gql(
        client, PRINT, {"list": LIST, "ids": ["P0000001"]}, token=token(role, **claims)
    )

    assert body["data"] == {"printWorkerCards": None}
    assert error_summary(body) == [("FORBIDDEN", ["printWorkerCards"])]
