"""The processes a benchmark run starts: the mocks, the gateway, the limit and the peer.

Every server is a real process on a free port of 127.0.0.1. On a machine with two cores or
more, the server under test (gateway, limit or peer) is pinned to the last core and the load
generator and the mocks to the others, so each measurement gets the same CPU and the ratios
compare work per core.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# The gateway and the limit run on exactly these uvicorn settings.
UVICORN_FLAGS = (
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpus() -> tuple[str | None, str | None]:
    """(server cores, load cores) for `taskset -c`, or (None, None) without pinning."""
    count = os.cpu_count() or 1
    if count < 2 or shutil.which("taskset") is None:
        return None, None
    return str(count - 1), ",".join(str(c) for c in range(count - 1))


SERVER_CPUS, LOAD_CPUS = cpus()


def pinned(command: Sequence[str], cores: str | None) -> list[str]:
    return ["taskset", "-c", cores, *command] if cores else list(command)


class Server:
    """One server process, its port and its log file."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        port: int,
        env: dict[str, str],
        logs: Path,
        cores: str | None,
        health: str = "/healthz",
    ) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = logs / f"{name}.log"
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            pinned(command, cores),
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait(health)

    def _wait(self, health: str, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start; see {self.log}")
            try:
                if httpx.get(self.url + health, timeout=1.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise SystemExit(f"{self.name} did not answer within {seconds:.0f} s; see {self.log}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def uvicorn(app: str, port: int, *, factory: bool = False, workers: int = 1) -> list[str]:
    command = [PYTHON, "-m", "uvicorn", app, "--port", str(port), *UVICORN_FLAGS]
    if factory:
        command.append("--factory")
    if workers > 1:
        command += ["--workers", str(workers)]
    return command


def mocks_env(port: int, data: Path, latency_ms: int) -> dict[str, str]:
    return {
        **os.environ,
        "MOCKS_PORT": str(port),
        "MOCK_LATENCY_MS": str(latency_ms),
        "MOCK_IDP_KEY_FILE": str(data / "idp-key.json"),
    }


def gateway_env(mocks_url: str, data: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "MOCKS_URL": mocks_url,
        "DATA_DIR": str(data / "gateway"),
        # A load generator is one client address and a few subjects: lift the flood limits.
        "RATE_LIMIT_PER_ADDRESS": "1000000000",
        "RATE_LIMIT_PER_SUBJECT": "1000000000",
        # The workforce watch polls change feeds and re-evaluates approved workers: its own
        # upstream traffic would blur each scenario's count.
        "CHANGE_FEED_POLL_SECONDS": "0",
        **(extra or {}),
    }
