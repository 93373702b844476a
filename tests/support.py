"""Helpers shared by the gateway tests: GraphQL calls and raw reads from the mocks."""

from __future__ import annotations

from typing import Any

import httpx


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None,
) -> tuple[int, dict[str, Any]]:
    """POST a GraphQL operation; returns the HTTP status and the decoded body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    return response.status_code, response.json()


def error_summary(body: dict[str, Any]) -> list[tuple[str, list[str | int]]]:
    """(code, path) of every error, in order: what denial tests assert on."""
    return [
        (error.get("extensions", {}).get("code"), error.get("path"))
        for error in body.get("errors") or []
    ]


class MocksAdmin:
    """The mocks' development endpoints: fault knobs, request statistics, raw service reads."""

    SERVICES = ("identity", "vaccination", "lab", "f0")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._token: str | None = None

    async def service_token(self) -> str:
        if self._token is None:
            response = await self.client.post(
                "/idp/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("healthpass-gateway", "dev-only-gateway-secret"),
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    async def get(self, path: str, **params: str) -> Any:
        token = await self.service_token()
        response = await self.client.get(
            path, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        return response.json()

    async def set_faults(self, service: str, **knobs: Any) -> None:
        (await self.client.put(f"/{service}/_admin/faults", json=knobs)).raise_for_status()

    async def reset(self) -> None:
        for service in self.SERVICES:
            (await self.client.delete(f"/{service}/_admin/faults")).raise_for_status()
            (await self.client.delete(f"/{service}/_admin/stats")).raise_for_status()

    async def requests(self, service: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/{service}/_admin/stats")
        response.raise_for_status()
        requests: list[dict[str, Any]] = response.json()["requests"]
        return requests
