"""`make bench`: the mocks, the gateway and the limit as real processes, S1 to S5, a report.

    .venv/bin/python -m bench.run [--seconds 10] [--scenarios S1,S2,S3,S4,S5] [--workers 1]
                                  [--latency-ms 20] [--peer] [--out bench/results]

Writes `bench/results/<date>.json` and `<date>.md` (the Markdown table) and prints the table.
`--peer` also runs Hive Gateway (bench/peer/) over the same mocks: S1 to S3's work, the ratios
computed in the same run. Profiles: README, Performance (py-spy on the gateway's pid, then
`python -m bench.profile_summary`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench import procs, report, scenarios
from bench.procs import LOAD_CPUS, ROOT, SERVER_CPUS, Server
from mocks.idp import issue_user_token
from mocks.settings import MockSettings


def _population(mocks_url: str) -> list[tuple[str, str]]:
    token = httpx.post(
        f"{mocks_url}/idp/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("healthpass-gateway", "dev-only-gateway-secret"),
    ).json()["access_token"]
    people: list[tuple[str, str]] = []
    total = httpx.get(f"{mocks_url}/").json()["people"]
    for start in range(0, total, 1000):
        ids = [f"P{i:07d}" for i in range(start + 1, min(start + 1000, total) + 1)]
        answer = httpx.post(
            f"{mocks_url}/identity/persons/batch",
            json={"ids": ids},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        people += [(p["id"], p["district"]) for p in answer["persons"]]
    return people


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds before")
    parser.add_argument("--scenarios", default="S1,S2,S3,S4,S5")
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--latency-ms", type=int, default=20, help="added per upstream request")
    parser.add_argument("--peer", action="store_true", help="also measure Hive Gateway")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--label", default="", help="a suffix for the result files")
    args = parser.parse_args(argv)
    wanted = [s.strip().upper() for s in args.scenarios.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().astimezone()
    name = stamp.strftime("%Y-%m-%dT%H%M") + (f"-{args.label}" if args.label else "")

    with tempfile.TemporaryDirectory(prefix="healthpass-bench-") as tmp:
        data = Path(tmp)
        logs = args.out / "logs"
        logs.mkdir(exist_ok=True)
        mocks_port, gateway_port = procs.free_port(), procs.free_port()
        mocks = Server(
            "mocks",
            procs.uvicorn("mocks.app:create_app", mocks_port, factory=True),
            mocks_port,
            procs.mocks_env(mocks_port, data, args.latency_ms),
            logs,
            LOAD_CPUS,
            health="/identity/healthz",
        )
        try:
            settings = MockSettings(port=mocks_port, idp_key_file=data / "idp-key.json")

            def mint(role: str, **claims: str) -> str:
                return issue_user_token(role, ttl=6 * 3600, settings=settings, **claims)

            people = _population(mocks.url)
            gateway = Server(
                "gateway",
                procs.uvicorn(
                    "gateway.app:create_app", gateway_port, factory=True, workers=args.workers
                ),
                gateway_port,
                procs.gateway_env(mocks.url, data),
                logs,
                SERVER_CPUS,
            )
            print(f"gateway pid {gateway.pid} at {gateway.url} (py-spy can attach)", flush=True)
            world = scenarios.World(
                mocks_url=mocks.url,
                gateway_url=gateway.url,
                mint=mint,
                people=people,
                seconds=args.seconds,
                warmup=args.warmup,
                batch_size=int(os.environ.get("UPSTREAM_BATCH_SIZE", "250")),
            )
            try:
                results = _run(world, wanted, gateway, data, logs, args, name)
            finally:
                gateway.stop()
            if args.peer:
                from bench import peer

                results["peer"] = peer.measure(world, data, logs)
        finally:
            mocks.stop()

    document = {
        "date": stamp.isoformat(timespec="seconds"),
        "command": "make bench" + (" + make bench-peer" if args.peer else ""),
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "server_cpus": SERVER_CPUS,
            "load_cpus": LOAD_CPUS,
        },
        "settings": {
            "gateway_workers": args.workers,
            "upstream_latency_ms": args.latency_ms,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "uvicorn": " ".join(procs.UVICORN_FLAGS),
        },
        "results": results,
    }
    document["ratios"] = report.ratios(document)
    (args.out / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    table = report.markdown(document)
    (args.out / f"{name}.md").write_text(table)
    print(table)
    print(f"written: {args.out / (name + '.json')}")
    return 0


def _run(
    world: scenarios.World,
    wanted: list[str],
    gateway: Server,
    data: Path,
    logs: Path,
    args: argparse.Namespace,
    name: str,
) -> dict[str, Any]:
    results: dict[str, Any] = {}

    @contextmanager
    def limit(app: str, body: bytes) -> Iterator[str]:
        """A reference server (the limit, plain Strawberry) answering S1's body."""
        (data / "limit-body.json").write_bytes(body)
        port = procs.free_port()
        env = {**os.environ, "LIMIT_BODY_FILE": str(data / "limit-body.json")}
        name = app.split(".")[1].split(":")[0]
        server = Server(
            name, procs.uvicorn(app, port, workers=args.workers), port, env, logs, SERVER_CPUS
        )
        with procs.running(server):
            yield server.url

    # S3 marks its workers as used, so the cold scenarios after it find them cold no more.
    order = {"S1": 0, "S3": 1, "S4": 2, "S2": 3, "S5": 4}
    runs = {
        "S2": scenarios.s2_cold_status,
        "S3": scenarios.s3_worker_list,
        "S4": scenarios.s4_stampede,
        "S5": scenarios.s5_declarations,
    }
    for scenario in sorted(wanted, key=lambda s: order.get(s, 9)):
        print(f"running {scenario} ...", flush=True)
        if scenario == "S1":
            results.update(scenarios.s1_scan(world, limit))
        elif scenario in runs:
            results[scenario] = runs[scenario](world)
    if "S2" in results:
        results["S2"]["upstream_latency_ms"] = args.latency_ms
    return results


if __name__ == "__main__":
    raise SystemExit(main())
