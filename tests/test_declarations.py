"""submitHealthDeclaration end to end: validation, roles and scope, idempotency, the outbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from gateway.outbox import Kind
from tests.submissions import (
    DECLARE,
    FAST,
    NO_CASE,
    OTHER_DISTRICT,
    POSTGRES_URL,
    Gateway,
    declaration,
    drained,
    open_gateway_with_outbox,
    records_with_key,
    reset_writes,
    stored,
)
from tests.support import MocksAdmin, error_summary, gql

PERSON = NO_CASE  # P0000001, district 778

STATUS = """query($id: ID!) { personStatus(personId: $id) { color declarationValidUntil } }"""
HISTORY = """query($id: ID!) { person(id: $id) { declarations(last: 5) {
  id submittedAt validUntil symptoms delivery declaredByOfficer digest } } }"""


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A schema of this test alone, dropped afterwards."""
    schema = f"outbox_test_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
async def gateway(
    mocks_transport: httpx.ASGITransport, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    """One gateway (with its own outbox) for the module: starting one costs about a second."""
    data_dir = tmp_path_factory.mktemp("declarations")
    async with open_gateway_with_outbox(mocks_transport, data_dir) as opened:
        yield opened


@pytest.fixture(autouse=True)
async def no_write_faults(mocks: MocksAdmin) -> AsyncIterator[None]:
    await reset_writes(mocks)
    yield
    await reset_writes(mocks)


def errors_of(body: dict[str, Any]) -> list[tuple[str, list[str | int], str | None]]:
    """(code, path, field) of every error."""
    return [
        (e["extensions"]["code"], e["path"], e["extensions"].get("field"))
        for e in body.get("errors") or []
    ]


async def test_a_citizen_declares_and_gets_a_receipt_accepted_upstream(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])

    _, body = await gql(gateway.client, DECLARE, {"input": declaration()}, token=citizen)

    assert "errors" not in body, body
    receipt = body["data"]["submitHealthDeclaration"]
    submitted = datetime.fromisoformat(receipt["submittedAt"])
    assert datetime.fromisoformat(receipt["declarationValidUntil"]) - submitted == timedelta(
        hours=24
    )
    assert receipt["delivery"] == "ACCEPTED"
    assert len(receipt["digest"]) == 64
    assert receipt["declaration"] == {
        "id": receipt["id"],
        "personId": PERSON["id"],
        "placesVisited": [
            {"province": "79", "district": "778"},
            {"province": "01", "district": None},
        ],
        "symptoms": ["COUGH"],
        "exposures": [],
        "address": {"district": "778", "ward": "Phường Tân Phong"},
        "phone": "0901234567",
        "declaredByOfficer": False,
        "delivery": "ACCEPTED",
    }
    stored = await records_with_key(mocks, "declarations", receipt["id"])
    assert [(r["personId"], r["writes"]) for r in stored] == [(PERSON["id"], 1)]


async def test_the_status_shows_the_new_declaration_at_once(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    officer = token("health_officer", district=PERSON["district"])
    await gql(gateway.client, STATUS, {"id": PERSON["id"]}, token=officer)  # warms the cache

    _, body = await gql(
        gateway.client, DECLARE, {"input": declaration(personId=PERSON["id"])}, token=officer
    )
    receipt = body["data"]["submitHealthDeclaration"]
    _, status = await gql(gateway.client, STATUS, {"id": PERSON["id"]}, token=officer)

    assert (
        status["data"]["personStatus"]["declarationValidUntil"] == receipt["declarationValidUntil"]
    )
    assert receipt["declaration"]["declaredByOfficer"] is True


async def test_a_retry_with_the_same_key_returns_the_same_receipt_and_stores_once(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])
    sent = {"input": declaration(idempotencyKey="retry-1")}

    _, first = await gql(gateway.client, DECLARE, sent, token=citizen)
    _, again = await gql(gateway.client, DECLARE, sent, token=citizen)

    assert "errors" not in again
    assert again["data"] == first["data"]
    receipt_id = first["data"]["submitHealthDeclaration"]["id"]
    assert [r["writes"] for r in await records_with_key(mocks, "declarations", receipt_id)] == [1]


async def test_the_key_may_come_as_a_header(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    headers = {
        "Authorization": f"Bearer {token('citizen', person_id=PERSON['id'])}",
        "Idempotency-Key": "header-key-1",
    }
    payload = {"query": DECLARE, "variables": {"input": declaration()}}

    first = (await gateway.client.post("/graphql", json=payload, headers=headers)).json()
    again = (await gateway.client.post("/graphql", json=payload, headers=headers)).json()

    assert again == first
    receipt_id = first["data"]["submitHealthDeclaration"]["id"]
    assert len(await records_with_key(mocks, "declarations", receipt_id)) == 1


async def test_the_same_key_for_another_declaration_is_refused(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])
    await gql(gateway.client, DECLARE, {"input": declaration(idempotencyKey="k-2")}, token=citizen)

    _, body = await gql(
        gateway.client,
        DECLARE,
        {"input": declaration(idempotencyKey="k-2", symptoms=["FEVER"])},
        token=citizen,
    )

    assert body["data"] == {"submitHealthDeclaration": None}
    assert errors_of(body) == [
        ("BAD_USER_INPUT", ["submitHealthDeclaration"], "input.idempotencyKey")
    ]


async def test_keys_of_different_callers_do_not_collide(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    one = token("citizen", person_id=PERSON["id"])
    other = token("citizen", person_id=OTHER_DISTRICT["id"])
    sent = {"input": declaration(idempotencyKey="shared-key")}

    _, first = await gql(gateway.client, DECLARE, sent, token=one)
    _, second = await gql(gateway.client, DECLARE, sent, token=other)

    assert first["data"]["submitHealthDeclaration"]["declaration"]["personId"] == PERSON["id"]
    assert (
        second["data"]["submitHealthDeclaration"]["declaration"]["personId"]
        == (OTHER_DISTRICT["id"])
    )


async def test_upstream_down_queues_then_delivers_exactly_once_after_recovery(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])
    await mocks.set_faults("declarations", mode="down")

    _, body = await gql(gateway.client, DECLARE, {"input": declaration()}, token=citizen)
    receipt = body["data"]["submitHealthDeclaration"]
    _, status = await gql(gateway.client, STATUS, {"id": PERSON["id"]}, token=citizen)
    queued = await gateway.outbox.store.submission(receipt["id"])

    assert receipt["delivery"] == "QUEUED"
    assert (
        status["data"]["personStatus"]["declarationValidUntil"]
        == (receipt["declarationValidUntil"])
    )
    assert await records_with_key(mocks, "declarations", receipt["id"]) == []
    assert queued is not None and queued.attempts >= 1 and queued.last_error == "HTTP 503"

    await mocks.set_faults("declarations", mode="ok")
    await drained(gateway.outbox)

    stored = await records_with_key(mocks, "declarations", receipt["id"])
    assert [r["writes"] for r in stored] == [1]
    _, history = await gql(gateway.client, HISTORY, {"id": PERSON["id"]}, token=citizen)
    newest = history["data"]["person"]["declarations"][0]
    assert (newest["id"], newest["delivery"]) == (receipt["id"], "ACCEPTED")


async def test_a_lost_answer_is_retried_with_the_same_key_and_stored_once(
    gateway: Gateway, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])
    (
        await mocks.client.put("/declarations/_admin/writes", json={"lostAnswerRate": 1})
    ).raise_for_status()

    _, body = await gql(gateway.client, DECLARE, {"input": declaration()}, token=citizen)
    receipt = body["data"]["submitHealthDeclaration"]
    await reset_writes(mocks)
    await drained(gateway.outbox)

    assert receipt["delivery"] == "QUEUED"
    stored = await records_with_key(mocks, "declarations", receipt["id"])
    assert len(stored) == 1 and stored[0]["writes"] >= 2


async def test_history_lists_declarations_newest_first_for_the_citizen(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])
    ids = []
    for symptom in ("FEVER", "FATIGUE"):
        _, body = await gql(
            gateway.client, DECLARE, {"input": declaration(symptoms=[symptom])}, token=citizen
        )
        ids.append(body["data"]["submitHealthDeclaration"]["id"])

    _, history = await gql(gateway.client, HISTORY, {"id": PERSON["id"]}, token=citizen)

    newest = history["data"]["person"]["declarations"][:2]
    assert [(d["id"], d["symptoms"]) for d in newest] == [
        (ids[1], ["FATIGUE"]),
        (ids[0], ["FEVER"]),
    ]


@pytest.mark.parametrize(
    ("label", "changes", "field"),
    [
        (
            "unknown province",
            {"placesVisited": [{"province": "99"}]},
            "input.placesVisited[0].province",
        ),
        (
            "district outside the province",
            {"placesVisited": [{"province": "01"}, {"province": "79", "district": "001"}]},
            "input.placesVisited[1].district",
        ),
        (
            "malformed district elsewhere",
            {"placesVisited": [{"province": "01", "district": "1a"}]},
            "input.placesVisited[0].district",
        ),
        ("too many places", {"placesVisited": [{"province": "79"}] * 31}, "input.placesVisited"),
        (
            "address outside the city",
            {"address": {"district": "001", "ward": "X"}},
            "input.address.district",
        ),
        ("empty ward", {"address": {"district": "778", "ward": "  "}}, "input.address.ward"),
        ("long ward", {"address": {"district": "778", "ward": "W" * 81}}, "input.address.ward"),
        ("bad phone", {"phone": "12345"}, "input.phone"),
        ("landline", {"phone": "0281234567"}, "input.phone"),
        ("bad idempotency key", {"idempotencyKey": "has space"}, "input.idempotencyKey"),
        ("empty idempotency key", {"idempotencyKey": ""}, "input.idempotencyKey"),
        ("long idempotency key", {"idempotencyKey": "k" * 129}, "input.idempotencyKey"),
    ],
)
async def test_invalid_input_is_refused_naming_the_field(
    gateway: Gateway, token: Callable[..., str], label: str, changes: dict[str, Any], field: str
) -> None:
    citizen = token("citizen", person_id=PERSON["id"])

    _, body = await gql(gateway.client, DECLARE, {"input": declaration(**changes)}, token=citizen)

    assert body["data"] == {"submitHealthDeclaration": None}
    assert errors_of(body) == [("BAD_USER_INPUT", ["submitHealthDeclaration"], field)]


@pytest.mark.parametrize(
    ("label", "changes", "field"),
    [
        ("unknown symptom", {"symptoms": ["COUGH", "HICCUPS"]}, "input.symptoms[1]"),
        ("unknown exposure", {"exposures": ["PET"]}, "input.exposures[0]"),
        ("missing phone", {"phone": None}, "input.phone"),
        ("ward missing", {"address": {"district": "778"}}, "input.address.ward"),
    ],
)
async def test_input_the_schema_refuses_is_bad_user_input_naming_the_field(
    gateway: Gateway, token: Callable[..., str], label: str, changes: dict[str, Any], field: str
) -> None:
    sent = {k: v for k, v in declaration(**changes).items() if v is not None}

    _, body = await gql(
        gateway.client, DECLARE, {"input": sent}, token=token("citizen", person_id=PERSON["id"])
    )

    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", field)
    ]


async def test_header_and_field_keys_must_agree(
    gateway: Gateway, token: Callable[..., str]
) -> None:
    headers = {
        "Authorization": f"Bearer {token('citizen', person_id=PERSON['id'])}",
        "Idempotency-Key": "header-key",
    }
    payload = {"query": DECLARE, "variables": {"input": declaration(idempotencyKey="field-key")}}

    body = (await gateway.client.post("/graphql", json=payload, headers=headers)).json()

    assert errors_of(body) == [
        ("BAD_USER_INPUT", ["submitHealthDeclaration"], "input.idempotencyKey")
    ]


async def test_the_phone_is_normalised(gateway: Gateway, token: Callable[..., str]) -> None:
    citizen = token("citizen", person_id=PERSON["id"])

    _, body = await gql(
        gateway.client, DECLARE, {"input": declaration(phone="+84 90 123 4567")}, token=citizen
    )

    assert body["data"]["submitHealthDeclaration"]["declaration"]["phone"] == "0901234567"


@pytest.mark.parametrize("role", ["checkpoint", "employer", "district_admin"])
async def test_other_roles_may_not_declare(
    gateway: Gateway, token: Callable[..., str], role: str
) -> None:
    claims = {"employer_id": "E0001"} if role == "employer" else {"district": "778"}

    _, body = await gql(
        gateway.client,
        DECLARE,
        {"input": declaration(personId=PERSON["id"])},
        token=token(role, **claims),
    )

    assert body["data"] == {"submitHealthDeclaration": None}
    assert error_summary(body) == [("FORBIDDEN", ["submitHealthDeclaration"])]


@pytest.mark.parametrize(
    ("label", "role", "claims", "person_id", "expected"),
    [
        (
            "citizen for someone else",
            "citizen",
            {"person_id": PERSON["id"]},
            OTHER_DISTRICT["id"],
            ("FORBIDDEN", None),
        ),
        (
            "officer of another district",
            "health_officer",
            {"district": "778"},
            OTHER_DISTRICT["id"],
            ("FORBIDDEN", None),
        ),
        (
            "officer without a person",
            "health_officer",
            {"district": "778"},
            None,
            ("BAD_USER_INPUT", "input.personId"),
        ),
        (
            "officer, unknown person",
            "health_officer",
            {"district": "778"},
            "P9999999",
            ("NOT_FOUND", None),
        ),
    ],
)
async def test_declaring_outside_ones_scope_is_refused(
    gateway: Gateway,
    token: Callable[..., str],
    mocks: MocksAdmin,
    label: str,
    role: str,
    claims: dict[str, str],
    person_id: str | None,
    expected: tuple[str, str | None],
) -> None:
    sent = declaration(personId=person_id) if person_id else declaration()
    before = await stored(gateway, Kind.DECLARATION)

    _, body = await gql(gateway.client, DECLARE, {"input": sent}, token=token(role, **claims))

    assert body["data"] == {"submitHealthDeclaration": None}
    assert errors_of(body) == [(expected[0], ["submitHealthDeclaration"], expected[1])]
    assert await stored(gateway, Kind.DECLARATION) == before


@pytest.mark.postgres
async def test_on_postgres_a_queued_declaration_reads_back_and_is_delivered_once(
    mocks_transport: httpx.ASGITransport,
    mocks: MocksAdmin,
    token: Callable[..., str],
    tmp_path: Path,
    postgres_schema: str,
) -> None:
    await reset_writes(mocks)
    citizen = token("citizen", person_id=PERSON["id"])
    settings = replace(FAST, schema=postgres_schema)
    async with open_gateway_with_outbox(
        mocks_transport, tmp_path, settings, database_url=POSTGRES_URL
    ) as gateway:
        await mocks.set_faults("declarations", mode="down")
        _, body = await gql(gateway.client, DECLARE, {"input": declaration()}, token=citizen)
        receipt = body["data"]["submitHealthDeclaration"]
        _, status = await gql(gateway.client, STATUS, {"id": PERSON["id"]}, token=citizen)
        await mocks.set_faults("declarations", mode="ok")
        await drained(gateway.outbox)
    await reset_writes(mocks)

    assert receipt["delivery"] == "QUEUED"
    assert (
        status["data"]["personStatus"]["declarationValidUntil"]
        == (receipt["declarationValidUntil"])
    )
    assert [r["writes"] for r in await records_with_key(mocks, "declarations", receipt["id"])] == [
        1
    ]
