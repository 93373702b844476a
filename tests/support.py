"""Helpers shared by the gateway tests: GraphQL calls and raw reads from the mocks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Return once `url` answers 200; fail if `process` exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: the process exited early"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def port_closed(port: int, seconds: float) -> bool:
    """Whether nothing accepts connections on `port` within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


@contextmanager
def dev_server(workdir: Path, **extra_env: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`python -m gateway dev` (mocks + gateway, real HTTP) on free ports, run from `workdir`.

    Yields the gateway's base URL and the environment the CLI (`python -m mocks ...`) needs.
    """
    mocks_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "MOCKS_PORT": str(mocks_port),
        "MOCKS_URL": f"http://127.0.0.1:{mocks_port}",
        "PORT": str(port),
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "dev"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}", env
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert port_closed(mocks_port, seconds=10), "the mocks outlived the gateway"


def mocks_cli(env: dict[str, str], workdir: Path, *args: str) -> str:
    """Run `python -m mocks ARGS` as `make run`'s user would; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "mocks", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def metric_families(text: str) -> dict[str, list[Any]]:
    """Prometheus text as metric families by name, each a list of (sample name, labels, value)."""
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def metric_value(families: dict[str, list[Any]], sample: str, **labels: str) -> float:
    """The sum of `sample`'s values whose labels include `labels`."""
    family = sample.removesuffix("_total").removesuffix("_count")
    return sum(
        value
        for name, found, value in families.get(family, [])
        if name == sample and all(found.get(k) == v for k, v in labels.items())
    )
