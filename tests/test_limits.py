"""Hostile queries are refused before execution: deep, wide, alias bombs, costly, huge, floods."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.conftest import gateway_settings, open_gateway
from tests.support import error_summary, gql

PERSON = "P0000001"  # district 778


def officer(token: Callable[..., str]) -> str:
    return token("health_officer", district="778")


def refusal(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["extensions"]["code"], e["extensions"].get("limit")) for e in body.get("errors", [])]


def deep_query(levels: int) -> str:
    inner = "status { color }"
    for _ in range(levels):
        inner = f"status {{ person {{ id {inner} }} }}"
    return f'{{ person(id: "{PERSON}") {{ {inner} }} }}'


async def test_a_deep_query_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(client, deep_query(6), token=officer(token))

    assert body.get("data") is None
    assert refusal(body) == [("QUERY_TOO_COMPLEX", "depth")]


async def test_a_query_within_the_depth_limit_runs(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(client, deep_query(2), token=officer(token))

    assert "errors" not in body


async def test_an_alias_bomb_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    aliases = " ".join(f"n{i}: maskedName" for i in range(200))
    _, body = await gql(
        client, f'{{ person(id: "{PERSON}") {{ {aliases} }} }}', token=officer(token)
    )

    assert refusal(body) == [("QUERY_TOO_COMPLEX", "aliases")]


async def test_too_many_root_fields_are_refused(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    roots = " ".join(f'p{i}: person(id: "{PERSON}") {{ id }}' for i in range(21))
    _, body = await gql(client, f"{{ {roots} }}", token=officer(token))

    assert refusal(body) == [("QUERY_TOO_COMPLEX", "root fields")]


async def test_a_costly_query_is_refused_before_any_upstream_call(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    query = """query($ids: [ID!]!) {
      people(ids: $ids) { ...Health status { person { ...Health } } } }
    fragment Health on Person {
      vaccinations { id product date lotNumber performer doseNumber cvx productCode }
      labTests { id kind sampledAt result loinc } }"""
    _, body = await gql(client, query, {"ids": [PERSON]}, token=officer(token))

    assert refusal(body) == [("QUERY_TOO_COMPLEX", "cost")]


async def test_a_fragment_cycle_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    query = """{ me { ...A } } fragment A on Person { id ...B } fragment B on Person { ...A }"""
    _, body = await gql(client, query, token=officer(token))

    assert body.get("data") is None
    assert {code for code, _ in refusal(body)} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_too_many_tokens_are_refused_while_parsing(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(client, "{ me { " + "id " * 7000 + "} }", token=officer(token))

    assert refusal(body) == [("QUERY_TOO_COMPLEX", None)]


async def test_an_oversized_body_is_refused_with_413(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ me { id } }", "padding": "' + b"x" * 300_000 + b'"}',
        headers={"Authorization": f"Bearer {officer(token)}", "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "body"}


async def test_a_small_batch_runs_and_a_batch_flood_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    operation = {"query": f'{{ personStatus(personId: "{PERSON}") {{ color }} }}'}
    headers = {"Authorization": f"Bearer {officer(token)}"}

    small = await client.post("/graphql", json=[operation] * 2, headers=headers)
    flood = await client.post("/graphql", json=[operation] * 11, headers=headers)

    assert small.status_code == 200
    assert [answer["data"]["personStatus"]["color"] for answer in small.json()] == ["GREEN"] * 2
    assert flood.status_code == 400
    assert "data" not in flood.text


async def test_people_refuses_more_ids_than_a_page(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    ids = [f"P{i:07d}" for i in range(1, 1002)]
    _, body = await gql(
        client,
        "query($ids: [ID!]!) { people(ids: $ids) { id } }",
        {"ids": ids},
        token=officer(token),
    )

    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", "ids")
    ]


@pytest.fixture(scope="module")
async def production(mocks_transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    async with open_gateway(
        mocks_transport, replace(gateway_settings(), env="production")
    ) as client:
        yield client


async def test_production_refuses_introspection(
    production: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(production, "{ __schema { types { name } } }", token=officer(token))

    assert body.get("data") is None
    assert {code for code, _ in refusal(body)} == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in body["errors"][0]["message"]


async def test_production_gives_no_field_suggestions(
    production: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(
        production, '{ personStatu(personId: "x") { color } }', token=officer(token)
    )

    assert body["errors"][0]["message"] == "Cannot query field 'personStatu' on type 'Query'."


async def test_development_suggests_fields(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(client, '{ personStatu(personId: "x") { color } }', token=officer(token))

    assert "Did you mean 'personStatus' or 'person'?" in body["errors"][0]["message"]


async def test_production_serves_no_graphiql(production: httpx.AsyncClient) -> None:
    response = await production.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 401
    assert "graphiql" not in response.text.lower()


async def test_errors_in_a_refusal_name_no_internals(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(client, deep_query(8), token=officer(token))

    assert error_summary(body) == [("QUERY_TOO_COMPLEX", None)]
    assert "Traceback" not in str(body)
