"""The front (gateway/front.py): POST /graphql goes straight to the endpoint, everything else the
usual way, and every request gets its id and its metrics either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.endpoint import GraphQLEndpoint
from tests.support import metric_families, metric_value

STATUS = "query($id: ID!) { personStatus(personId: $id) { color } }"


def counted(families: dict[str, list[Any]], route: str, status: int) -> float:
    return metric_value(families, "gateway_http_requests_total", route=route, status=str(status))


async def scrape(client: httpx.AsyncClient) -> dict[str, list[Any]]:
    return metric_families((await client.get("/metrics")).text)


async def test_every_way_in_gets_an_id_and_is_counted(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    officer = {"Authorization": f"Bearer {token('health_officer', district='778')}"}
    before = await scrape(client)

    posted = await client.post(
        "/graphql", json={"query": STATUS, "variables": {"id": "P0000001"}}, headers=officer
    )
    by_get = await client.get(
        "/graphql",
        params={"query": STATUS, "variables": '{"id": "P0000001"}'},
        headers={**officer, "X-Request-ID": "req-from-client-1"},
    )
    not_allowed = await client.put("/graphql", headers=officer)
    health = await client.get("/healthz")
    after = await scrape(client)

    assert posted.status_code == 200 and "errors" not in posted.json()
    assert by_get.status_code == 200 and "errors" not in by_get.json()
    assert not_allowed.status_code == 405  # the router still decides every other method
    assert health.json() == {"status": "ok"}
    assert by_get.headers["x-request-id"] == "req-from-client-1"
    for response in (posted, not_allowed, health):
        assert len(response.headers["x-request-id"]) == 32
        assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]]
    assert counted(after, "/graphql", 200) - counted(before, "/graphql", 200) == 2
    assert counted(after, "/graphql", 405) - counted(before, "/graphql", 405) == 1
    assert counted(after, "/healthz", 200) - counted(before, "/healthz", 200) == 1


async def test_an_unexpected_error_on_the_straight_way_is_a_counted_500(
    client: httpx.AsyncClient, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(GraphQLEndpoint, "__call__", broken)
    before = await scrape(client)
    failing = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client._transport.app, raise_app_exceptions=False),  # type: ignore[attr-defined]
        base_url="http://gateway",
    )

    async with failing:
        answer = await failing.post("/graphql", json={"query": "{ me { id } }"})

    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"  # Starlette's error middleware: nothing shown
    assert counted(await scrape(client), "/graphql", 500) - counted(before, "/graphql", 500) == 1
