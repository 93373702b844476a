"""The ratios and the Markdown table of one run."""

from __future__ import annotations

import statistics
from typing import Any

WHAT = {
    "S1": "checkpoint scan, persisted `Scan` by hash, warm",
    "limit": "bare Starlette, same server settings, S1's body",
    "plain": "plain Strawberry + both caches, S1's body (reference)",
    "S2": "personStatus by id, every cache cold",
    "S3": "employer list, 1,000 workers with statuses, warm",
    "S5": "submitHealthDeclaration, durable outbox",
}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _paired(ours: dict[str, Any], theirs: dict[str, Any]) -> float | None:
    """The median of the per-round ratios when both ran in rounds side by side, else the
    ratio of the rates."""
    mine, other = ours.get("round_rps"), theirs.get("round_rps")
    if mine and other and len(mine) == len(other) and all(other):
        return round(statistics.median(a / b for a, b in zip(mine, other, strict=True)), 3)
    return _ratio(ours["rps"], theirs["rps"])


def ratios(document: dict[str, Any]) -> dict[str, Any]:
    """Ours to the limit (S1) and ours to the peer (S1 to S3), with each target's verdict."""
    r = document["results"]
    out: dict[str, Any] = {}
    if "S1" in r and "limit" in r:
        out["S1_to_limit"] = _paired(r["S1"], r["limit"])
        out["S1_target_0.35"] = out["S1_to_limit"] is not None and out["S1_to_limit"] >= 0.35
    if "plain" in r and "limit" in r:
        out["plain_to_limit"] = _paired(r["plain"], r["limit"])
        out["S1_to_plain"] = _paired(r["S1"], r["plain"]) if "S1" in r else None
    if "S2" in r:
        bound = r["S2"]["upstream_latency_ms"] + 15
        out["S2_p50_ms"] = r["S2"]["p50_ms"]
        out["S2_target_ms"] = bound
        out["S2_target"] = r["S2"]["p50_ms"] <= bound
    if "S3" in r:
        s3 = r["S3"]
        cold = {
            k: v
            for k, v in s3["cold_upstream"].items()
            if k in ("identity", "vaccination", "lab", "f0", "declarations")
        }
        out["S3_target"] = s3["p50_ms"] <= 250 and all(
            v <= s3["cold_bound_per_source"] for v in cold.values()
        )
    if "S4" in r:
        out["S4_target"] = all(
            all(
                v == 1
                for k, v in rnd["upstream"].items()
                if k in ("identity", "vaccination", "lab", "f0", "declarations")
            )
            for rnd in r["S4"]["rounds"]
        )
    peer = r.get("peer") or {}
    for s in ("S1", "S2", "S3"):
        if s in r and s in peer and "rps" in peer[s]:
            out[f"{s}_to_peer_rps"] = _ratio(r[s]["rps"], peer[s]["rps"])
            out[f"{s}_to_peer_p50"] = _ratio(r[s]["p50_ms"], peer[s]["p50_ms"])
    return out


def _upstream(counts: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(counts.items())) or "none"


def _row(name: str, x: dict[str, Any], note: str) -> str:
    if x.get("round_rps"):
        note += "; rounds " + " / ".join(f"{v:,.0f}" for v in x["round_rps"]) + " req/s"
    return (
        f"| {name} | {WHAT.get(name, '')} | {x['rps']:,.0f} | {x['p50_ms']:.1f} | "
        f"{x['p95_ms']:.1f} | {x['p99_ms']:.1f} | {_upstream(x['upstream_per_request'])} "
        f"| {note} |"
    )


def markdown(document: dict[str, Any]) -> str:
    """The run as Markdown: our table, then the peer's."""
    r, q = document["results"], document["ratios"]
    s, machine = document["settings"], document["machine"]
    lines = [
        f"Run {document['date']}: `{document['command']}`, {s['gateway_workers']} gateway "
        f"worker(s), upstream latency {s['upstream_latency_ms']} ms, {s['seconds']:g} s per "
        f"scenario after {s['warmup']:g} s warm-up; server on CPU {machine['server_cpus']}, "
        f"load and mocks on CPU {machine['load_cpus']}.",
        "",
        "| scenario | what | req/s | p50 ms | p95 ms | p99 ms | upstream requests per request "
        "| notes |",
        "|---|---|---:|---:|---:|---:|---|---|",
        *_ours(r, q),
        *_peer(r.get("peer") or {}, q),
        *_anomalies(r),
    ]
    return "\n".join(lines) + "\n"


def _ours(r: dict[str, Any], q: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "S1" in r:
        lines.append(
            _row(
                "S1",
                r["S1"],
                f"**{q.get('S1_to_limit')} x limit** (median of the rounds' ratios; target "
                ">= 0.35)",
            )
        )
    if "limit" in r:
        lines.append(_row("limit", r["limit"], "the ceiling"))
    if "plain" in r:
        lines.append(
            _row(
                "plain",
                r["plain"],
                f"{q.get('plain_to_limit')} x limit; S1 is {q.get('S1_to_plain')} x this",
            )
        )
    if "S2" in r:
        lines.append(
            _row(
                "S2",
                r["S2"],
                f"{r['S2']['connections']} connections; target p50 ≤ "
                f"{q['S2_target_ms']} ms: {'met' if q['S2_target'] else 'NOT met'}",
            )
        )
    if "S3" in r:
        x = r["S3"]
        cold = _upstream({k: v for k, v in x["cold_upstream"].items()})
        lines.append(
            _row(
                "S3",
                x,
                f"{x['workers']} workers of {x['list']}; cold {x['cold_ms']:.0f}"
                f" ms with {cold} (bound {x['cold_bound_per_source']}/source); target "
                f"{'met' if q['S3_target'] else 'NOT met'}",
            )
        )
    if "S4" in r:
        for rnd in r["S4"]["rounds"]:
            lines.append(
                f"| S4 | {rnd['requests']} concurrent cold requests for {rnd['person']} | - | "
                f"{rnd['p50_ms']:.1f} | {rnd['p95_ms']:.1f} | max {rnd['max_ms']:.1f} | "
                f"{_upstream(rnd['upstream'])} (in all) | {rnd['ok']} ok; target 1/source: "
                f"{'met' if q['S4_target'] else 'NOT met'} |"
            )
    if "S5" in r:
        x = r["S5"]
        lines.append(
            _row(
                "S5",
                x,
                f"{x['requests'] - x['marked']} ACCEPTED, {x['marked']} "
                f"QUEUED; {x['graphql_errors']} errors",
            )
        )
    return lines


def _peer(peer: dict[str, Any], q: dict[str, Any]) -> list[str]:
    if not peer:
        return []
    if "error" in peer:
        return ["", f"Peer (Hive Gateway): not measured: {peer['error']}"]
    lines = [
        "",
        "Peer (Hive Gateway over the mocks' OpenAPI), same run:",
        "",
        "| scenario | peer req/s | peer p50 ms | peer p95 ms | upstream per request "
        "| answers with errors | ours / peer, req/s | ours / peer, p50 |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for name in ("S1", "S2", "S3"):
        p = peer.get(name)
        if p is None or "rps" not in p:
            why = p.get("error", "not run") if p else "not run"
            lines.append(f"| {name} | - | - | - | {why} | - | - | - |")
            continue
        lines.append(
            f"| {name} | {p['rps']:,.0f} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} | "
            f"{_upstream(p['upstream_per_request'])} | {p['graphql_errors']} of {p['requests']} | "
            f"{q.get(name + '_to_peer_rps')} | "
            f"{q.get(name + '_to_peer_p50')} |"
        )
    return lines


def _anomalies(r: dict[str, Any]) -> list[str]:
    anomalies = [
        f"{n}: {x['non_200']} non-200, {x['graphql_errors']} with errors, "
        f"{x['socket_errors']} socket errors, {x['timeouts']} timeouts"
        for n, x in r.items()
        if isinstance(x, dict)
        and "non_200" in x
        and n != "S5"
        and (x["non_200"] or x["graphql_errors"] or x["socket_errors"] or x["timeouts"])
    ]
    return ["", "Anomalies: " + "; ".join(anomalies)] if anomalies else []
