"""`make run`'s process (`python -m gateway dev`) serves GraphQL, accepts the CLI's tokens, and
takes the mocks down with it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the dev server exited early"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def dev_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], Path]]:
    workdir = tmp_path_factory.mktemp("dev")
    mocks_port, port = _free_port(), _free_port()
    env = {
        **os.environ,
        "MOCKS_PORT": str(mocks_port),
        "MOCKS_URL": f"http://127.0.0.1:{mocks_port}",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "dev"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process, 60)
        yield f"http://127.0.0.1:{port}", env, workdir
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert _closed(mocks_port, seconds=10), "the mocks outlived the gateway"


def _closed(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


def _cli(env: dict[str, str], workdir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mocks", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_cli_token_reads_a_personas_status_from_the_running_gateway(
    dev_server: tuple[str, dict[str, str], Path],
) -> None:
    url, env, workdir = dev_server
    persona = json.loads(_cli(env, workdir, "personas"))[0]
    token = _cli(env, workdir, "token", "health_officer", "--district", persona["district"])

    response = httpx.post(
        f"{url}/graphql",
        json={
            "query": "query($id: ID!) { personStatus(personId: $id) { color reasons } }",
            "variables": {"id": persona["personId"]},
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "personStatus": {
                "color": persona["expectedColor"],
                "reasons": persona["expectedReasons"],
            }
        }
    }
