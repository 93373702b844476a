"""Command line: `python -m gateway serve | dev | schema`.

- `serve [--workers N]`: the gateway alone, with uvicorn (upstreams from the environment); N
  worker processes (WORKERS) share the port.
- `dev [--workers N]`: what `make run` starts: the mocked national services in a child
  process, then the gateway in the foreground; Ctrl-C stops both.
- `schema`: print the schema in SDL (what `make schema` writes to schema.graphql).
- `verify-pass TOKEN --jwks FILE`: verify an offline pass with the public keys alone.
- `signing-keys rotate | retire KID | public --file FILE`: manage the QR signing keys.
- `dcc verify TEXT [--trust FILE | --certificate BASE64_DER] [--at ISO_TIME]`: verify a vaccine
  passport offline.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from gateway import keys, metrics, offline_pass
from gateway.dcc import cli as dcc_cli
from gateway.logs import log_config
from gateway.settings import Settings

_MOCKS_START_SECONDS = 60.0


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    workers = workers or settings.workers
    if workers > 1:
        _share_metrics(settings)
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # Named, not "auto": the benchmarks (README, Performance) measure these two.
        loop="uvloop",
        http="httptools",
        log_config=log_config(settings.log_format, settings.log_level),
        log_level=settings.log_level,
    )


def _share_metrics(settings: Settings) -> None:
    """Several workers: metrics in prometheus-client's multiprocess mode, so that /metrics
    answers for all of them. The directory (PROMETHEUS_MULTIPROC_DIR, else DATA_DIR/metrics)
    is emptied first: files of an earlier run would be counted again."""
    directory = Path(os.environ.get(metrics.MULTIPROCESS_DIR) or settings.data_dir / "metrics")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[metrics.MULTIPROCESS_DIR] = str(directory.resolve())  # the workers inherit it


def _wait_for_mocks(url: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _MOCKS_START_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit("The mocked national services exited; see their output above.")
        try:
            if httpx.get(f"{url}/identity/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"The mocked national services did not answer at {url} in time.")


def _die_with_parent() -> None:
    """In the mocks' process: get SIGTERM when the gateway's process ends, however it ends.

    uvicorn re-raises SIGTERM after its graceful shutdown, so `finally` blocks in the parent
    do not run on SIGTERM; the kernel's parent-death signal covers that and SIGKILL too.
    """
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _dev(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    mocks_url = os.environ.get("MOCKS_URL", "http://127.0.0.1:8001")
    child = subprocess.Popen([sys.executable, "-m", "mocks", "serve"], preexec_fn=_die_with_parent)
    try:
        _wait_for_mocks(mocks_url, child)
        _serve(settings, host, port, workers)
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("serve", "run the gateway"), ("dev", "run the mocks and the gateway")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--host")
        command.add_argument("--port", type=int)
        command.add_argument("--workers", type=int, help="worker processes (WORKERS, default 1)")
    commands.add_parser("schema", help="print the schema (SDL)")
    offline_pass.add_command(commands)
    keys.add_command(commands)
    dcc_cli.add_command(commands)
    args = parser.parse_args(argv)
    if hasattr(args, "run"):
        return int(args.run(args))
    settings = Settings.from_env()
    if args.command == "schema":
        from gateway.schema import schema

        print(schema.as_str())
    elif args.command == "serve":
        _serve(settings, args.host, args.port, args.workers)
    else:
        _dev(settings, args.host, args.port, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
