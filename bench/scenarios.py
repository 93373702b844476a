"""S1 to S5 against a running gateway (and the limit beside S1), with upstream request counts.

Every scenario resets the mocks' request counters, drives load, and reads the counters back
(`GET /<service>/_admin/stats?summary=1`), so each reports the upstream requests it caused.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import wrk
from bench.stampede import stampede
from mocks.settings import SERVICES

SCAN_FILE = Path(__file__).resolve().parents[1] / "gateway" / "operations" / "scan.graphql"
SCAN_HASH = hashlib.sha256(SCAN_FILE.read_bytes()).hexdigest()
STATUS = """query Status($id: ID!) { personStatus(personId: $id) {
  color reasons validUntil maskedName birthYear declarationValidUntil } }"""
QR_OF = "query($id: ID!) { person(id: $id) { qr { payload } } }"
LISTS = "{ workerLists(state: APPROVED) { id workerCount } }"
WORKERS = """query Workers($id: ID!) { workerList(id: $id) { workers(first: 1000) { edges { node {
  id fullName maskedName status { color reasons validUntil declarationValidUntil } } } } } }"""
DECLARE = """mutation Declare($input: HealthDeclarationInput!) {
  submitHealthDeclaration(input: $input) { id delivery declarationValidUntil } }"""
HEALTH_SOURCES = ("identity", "vaccination", "lab", "f0", "declarations")
S1_ROUNDS = 3  # S1, the limit and plain Strawberry take turns, this many times


def body(query: str | None, variables: dict[str, Any], persisted: str | None = None) -> str:
    payload: dict[str, Any] = {"variables": variables}
    if query is not None:
        payload["query"] = query
    if persisted is not None:
        payload["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": persisted}}
    return orjson.dumps(payload).decode()


@dataclass
class World:
    """What the scenarios share: the servers' URLs, tokens, the population and who is used."""

    mocks_url: str
    gateway_url: str
    mint: Callable[..., str]
    people: list[tuple[str, str]]  # (person id, district), in id order
    seconds: float
    warmup: float
    batch_size: int
    used: set[str] = field(default_factory=set)
    # What the peer mirrors: S1's people and payloads, S3's list and its workers.
    scanned: list[tuple[str, str]] = field(default_factory=list)
    list_id: str = ""
    listed: list[str] = field(default_factory=list)
    officers: dict[str, str] = field(default_factory=dict)

    def officer(self, district: str) -> str:
        if district not in self.officers:
            self.officers[district] = self.mint("health_officer", district=district)
        return self.officers[district]

    def fresh(self, count: int) -> list[tuple[str, str]]:
        """`count` people no scenario has touched yet (their caches are cold)."""
        chosen = [p for p in self.people if p[0] not in self.used][:count]
        self.used.update(pid for pid, _ in chosen)
        return chosen

    def gql(self, token: str, text: str, timeout: float = 60.0) -> dict[str, Any]:
        response = httpx.post(
            f"{self.gateway_url}/graphql",
            content=text,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        if answer.get("errors"):
            raise SystemExit(f"the gateway answered errors: {answer['errors']}")
        return answer

    def reset_counts(self) -> None:
        for service in SERVICES:
            httpx.delete(f"{self.mocks_url}/{service}/_admin/stats").raise_for_status()

    def counts(self) -> dict[str, int]:
        totals = {}
        for service in SERVICES:
            answer = httpx.get(f"{self.mocks_url}/{service}/_admin/stats?summary=1").json()
            if answer["total"]:
                totals[service] = answer["total"]
        return totals


def _per_request(counts: dict[str, int], requests: int) -> dict[str, float]:
    return {s: round(n / max(requests, 1), 3) for s, n in counts.items()}


def steady(
    world: World,
    url: str,
    tokens: Sequence[str],
    entries: Sequence[tuple[int, str]],
    connections: int,
    marker: str | None = None,
    seconds: float | None = None,
    warmup: bool = True,
) -> dict[str, Any]:
    """A warm-up run (not recorded), then the measured run with its upstream counts."""
    if warmup and world.warmup > 0:
        wrk.run(url, tokens, entries, connections=connections, seconds=world.warmup)
    world.reset_counts()
    load = wrk.run(
        url,
        tokens,
        entries,
        connections=connections,
        seconds=seconds or world.seconds,
        marker=marker,
    )
    time.sleep(0.3)  # background writes (check-ins) of the last requests land
    counts = world.counts()
    return {
        **load.as_json(),
        "connections": connections,
        "upstream": counts,
        "upstream_per_request": _per_request(counts, load.requests),
    }


def s1_scan(
    world: World, limit: Callable[[str, bytes], AbstractContextManager[str]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """S1: the scanner's persisted `Scan` by hash, minimal fields, warm caches; then the limit."""
    scanned = world.fresh(100)
    checkpoint = world.mint("checkpoint", district="778")
    entries = []
    for pid, district in scanned:
        answer = world.gql(world.officer(district), body(QR_OF, {"id": pid}))
        world.scanned.append((pid, answer["data"]["person"]["qr"]["payload"]))
        entries.append(
            (0, body(None, {"qr": answer["data"]["person"]["qr"]["payload"]}, SCAN_HASH))
        )
    first = b""
    for _, text in entries:  # warms every cache; every answer must be clean
        response = httpx.post(
            f"{world.gateway_url}/graphql",
            content=text,
            headers={"Authorization": f"Bearer {checkpoint}", "Content-Type": "application/json"},
        )
        if response.status_code != 200 or b'"errors"' in response.content:
            raise SystemExit(f"S1 scan failed: {response.text}")
        first = first or response.content
    scan_text = SCAN_FILE.read_text()
    plain = [(0, body(scan_text, orjson.loads(text)["variables"])) for _, text in entries]
    with limit("bench.limit:app", first) as limit_url, limit("bench.plain:app", first) as plain_url:
        targets = {
            "S1": (world.gateway_url, entries),
            "limit": (limit_url, entries),
            "plain": (plain_url, plain),
        }
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        for round_ in range(S1_ROUNDS):  # side by side: a noisy spell hits all three alike
            for name, (url, load) in targets.items():
                rounds[name].append(
                    steady(
                        world,
                        url,
                        [checkpoint],
                        load,
                        connections=64,
                        seconds=math.ceil(world.seconds / S1_ROUNDS),  # wrk: whole seconds
                        warmup=round_ == 0,
                    )
                )
    for name, runs in rounds.items():
        merged = merge_rounds(runs)
        if name == "S1":
            merged["response_bytes"] = len(first)
        yield name, merged


def merge_rounds(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one target as one result: requests and upstream counts summed, rates over
    the summed time, percentiles the rounds' medians; each round's rate kept (`round_rps`)."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    counts: dict[str, int] = {}
    for run in runs:
        for source, n in run["upstream"].items():
            counts[source] = counts.get(source, 0) + n
    merged = dict(runs[0])
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms"):
        merged[key] = statistics.median(r[key] for r in runs)
    merged.update(
        requests=requests,
        seconds=seconds,
        rps=round(requests / seconds, 1) if seconds else 0.0,
        max_ms=max(r["max_ms"] for r in runs),
        non_200=sum(r["non_200"] for r in runs),
        socket_errors=sum(r["socket_errors"] for r in runs),
        upstream=counts,
        upstream_per_request=_per_request(counts, requests),
        round_rps=[r["rps"] for r in runs],
    )
    return merged


def s2_cold_status(world: World) -> dict[str, Any]:
    """S2: personStatus by id (a health officer of the person's district), every cache cold."""
    people = world.fresh(6000)
    districts = sorted({d for _, d in people})
    tokens = [world.officer(d) for d in districts]
    entries = [(districts.index(d), body(STATUS, {"id": pid})) for pid, d in people]
    world.reset_counts()
    load = wrk.run(world.gateway_url, tokens, entries, connections=1, seconds=world.seconds)
    counts = world.counts()
    return {
        **load.as_json(),
        "connections": 1,
        "upstream": counts,
        "upstream_per_request": _per_request(counts, load.requests),
        "upstream_latency_ms": None,
    }


def s3_worker_list(world: World) -> dict[str, Any]:
    """S3: an employer's approved list of 1,000+ workers, the first page of 1,000 with statuses."""
    employer = world.mint("employer", employer_id="E0006")
    lists = world.gql(employer, body(LISTS, {}))["data"]["workerLists"]
    chosen = max(lists, key=lambda x: x["workerCount"])
    text = body(WORKERS, {"id": chosen["id"]})
    world.reset_counts()
    start = time.perf_counter()
    answer = world.gql(employer, text)
    cold_ms = (time.perf_counter() - start) * 1000
    cold_counts = world.counts()
    workers = answer["data"]["workerList"]["workers"]["edges"]
    world.used.update(w["node"]["id"] for w in workers)
    world.list_id, world.listed = chosen["id"], [w["node"]["id"] for w in workers]
    result = steady(world, world.gateway_url, [employer], [(0, text)], connections=1)
    return {
        **result,
        "list": chosen["id"],
        "workers": len(workers),
        "cold_ms": round(cold_ms, 1),
        "cold_upstream": cold_counts,
        "cold_bound_per_source": math.ceil(len(workers) / world.batch_size),
    }


def s4_stampede(world: World, rounds: int = 3, n: int = 200) -> dict[str, Any]:
    """S4: `n` concurrent cold requests for the same person, `rounds` times (a new person each)."""
    results = []
    for pid, district in world.fresh(rounds):
        world.reset_counts()
        got = stampede(
            world.gateway_url, world.officer(district), body(STATUS, {"id": pid}).encode(), n
        )
        time.sleep(0.3)
        results.append({"person": pid, **asdict(got), "upstream": world.counts()})
    return {
        "rounds": results,
        "max_per_source": max(max(r["upstream"].values(), default=0) for r in results),
    }


def s5_declarations(world: World) -> dict[str, Any]:
    """S5: health declarations per second through the durable outbox (officers, own district)."""
    people = world.fresh(8000)
    districts = sorted({d for _, d in people})
    tokens = [world.officer(d) for d in districts]
    entries = [
        (
            districts.index(d),
            body(
                DECLARE,
                {
                    "input": {
                        "personId": pid,
                        "placesVisited": [{"province": "79", "district": d}],
                        "symptoms": [],
                        "exposures": [],
                        "address": {"district": d, "ward": "Phường 1"},
                        "phone": "0901234567",
                    }
                },
            ),
        )
        for pid, d in people
    ]
    return steady(world, world.gateway_url, tokens, entries, connections=16, marker='"QUEUED"')
