"""Persisted operations (APQ): a scanner sends a hash, not the query text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.persisted import OPERATIONS_DIR, operation_extensions, sha256_hex
from tests.checkpoint_support import MY_QR, residents
from tests.support import MocksAdmin

SCAN_TEXT = (OPERATIONS_DIR / "scan.graphql").read_text()
SCAN_HASH = sha256_hex(SCAN_TEXT)


@pytest.fixture(scope="module")
async def payload(mocks: MocksAdmin, client: httpx.AsyncClient, token: Callable[..., str]) -> str:
    person = (await residents(mocks, "778", 1, start=201))[0]
    response = await client.post(
        "/graphql",
        json={"query": MY_QR},
        headers={"Authorization": f"Bearer {token('citizen', person_id=person['id'])}"},
    )
    qr: str = response.json()["data"]["me"]["qr"]["payload"]
    return qr


async def post(
    client: httpx.AsyncClient, bearer: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any], int]:
    """Status, decoded answer, and the bytes of the request body as sent."""
    content = json.dumps(body, separators=(",", ":")).encode()
    response = await client.post(
        "/graphql",
        content=content,
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    return response.status_code, response.json(), len(content)


async def test_the_shipped_scan_runs_by_hash_in_a_few_hundred_bytes(
    client: httpx.AsyncClient, token: Callable[..., str], payload: str
) -> None:
    bearer = token("checkpoint", district="778")
    by_hash = {
        "variables": {"qr": payload},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": SCAN_HASH}},
    }

    status, body, size = await post(client, bearer, by_hash)
    _, full, full_size = await post(
        client, bearer, {"query": SCAN_TEXT, "variables": {"qr": payload}}
    )

    assert status == 200 and "errors" not in body, body
    assert body["data"]["personStatus"]["color"] in {"GREEN", "YELLOW", "RED"}
    assert body["data"] == full["data"]
    assert size < 400 < full_size
    print(f"scan request body: {size} bytes by hash, {full_size} bytes with the query text")


async def test_the_scan_works_by_get_too(
    client: httpx.AsyncClient, token: Callable[..., str], payload: str
) -> None:
    response = await client.get(
        "/graphql",
        params={
            "variables": json.dumps({"qr": payload}),
            "extensions": json.dumps(operation_extensions(SCAN_TEXT)),
        },
        headers={"Authorization": f"Bearer {token('checkpoint', district='778')}"},
    )

    assert response.status_code == 200
    assert response.json()["data"]["personStatus"]["maskedName"]


async def test_an_unknown_hash_is_persisted_query_not_found_until_registered(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    bearer = token("health_officer", district="778")
    query = "query Mine { __typename }"
    extensions = operation_extensions(query)

    _, missing, _ = await post(client, bearer, {"extensions": extensions})
    _, registered, _ = await post(client, bearer, {"query": query, "extensions": extensions})
    _, by_hash, _ = await post(client, bearer, {"extensions": extensions})

    assert missing == {
        "data": None,
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ],
    }
    assert registered == by_hash == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("persisted", "field"),
    [
        ({"version": 1, "sha256Hash": SCAN_HASH}, "extensions.persistedQuery.sha256Hash"),
        ({"version": 2, "sha256Hash": sha256_hex("{ __typename }")}, "extensions.persistedQuery"),
        ({"version": 1, "sha256Hash": "abc"}, "extensions.persistedQuery"),
    ],
    ids=["hash of another text", "unknown version", "not a sha256"],
)
async def test_a_hash_that_does_not_match_its_text_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str], persisted: dict[str, Any], field: str
) -> None:
    bearer = token("health_officer", district="778")

    _, body, _ = await post(
        client, bearer, {"query": "{ __typename }", "extensions": {"persistedQuery": persisted}}
    )

    assert body["data"] is None
    assert [e["extensions"] for e in body["errors"]] == [{"code": "BAD_USER_INPUT", "field": field}]


async def test_nobody_can_register_other_text_under_the_scan_hash(
    client: httpx.AsyncClient, token: Callable[..., str], payload: str
) -> None:
    bearer = token("checkpoint", district="778")
    await post(
        client,
        bearer,
        {"query": "{ __typename }", "extensions": operation_extensions(SCAN_TEXT)},
    )

    _, body, _ = await post(
        client,
        bearer,
        {"variables": {"qr": payload}, "extensions": operation_extensions(SCAN_TEXT)},
    )

    assert "personStatus" in body["data"]
