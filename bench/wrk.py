"""wrk (Debian's `wrk`) driven by a generated Lua script: POST bodies, tokens, per-thread cycling.

Each scenario hands over a list of (token, body) requests. Thread k of n sends entries k, k+n,
k+2n, ... so no two threads send the same entry; `cycle=False` marks a run that wrapped around
(a cold-cache scenario that ran out of fresh people). Every answer is checked for a GraphQL
`errors` member; `count` counts answers containing a marker (e.g. a delivery state).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.procs import LOAD_CPUS, pinned

TEMPLATE = r"""
local tokens = { %(tokens)s }
local entries = { %(entries)s }
local nthreads = %(threads)d
local path = "%(path)s"
local marker = %(marker)s
local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  cursor = tid
  sent = 0
  gql_errors = 0
  marked = 0
  bad_status = 0
  formatted = {}
end

function request()
  local i = (cursor %% #entries) + 1
  cursor = cursor + nthreads
  sent = sent + 1
  local r = formatted[i]
  if r == nil then
    local e = entries[i]
    r = wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. tokens[e[1]],
    }, e[2])
    formatted[i] = r
  end
  return r
end

function response(status, headers, body)
  if status ~= 200 then bad_status = bad_status + 1 end
  if string.find(body, '"errors"', 1, true) then gql_errors = gql_errors + 1 end
  if marker and string.find(body, marker, 1, true) then marked = marked + 1 end
end

function done(summary, latency, requests)
  local s, g, m, b = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    g = g + t:get("gql_errors")
    m = m + t:get("marked")
    b = b + t:get("bad_status")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p95_us":%%d,"p99_us":%%d,' ..
    '"mean_us":%%.1f,"max_us":%%d,"non_200":%%d,"socket_errors":%%d,"timeouts":%%d,' ..
    '"graphql_errors":%%d,"marked":%%d,"sent":%%d,"entries":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, b,
    e.connect + e.read + e.write, e.timeout, g, m, s, #entries))
end
"""


@dataclass(frozen=True, slots=True)
class Load:
    """One wrk run's measurements."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non_200: int
    socket_errors: int
    timeouts: int
    graphql_errors: int
    marked: int
    wrapped: bool  # more requests than distinct entries

    def as_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def script(
    tokens: Sequence[str],
    entries: Sequence[tuple[int, str]],
    threads: int,
    path: str = "/graphql",
    marker: str | None = None,
) -> str:
    return TEMPLATE % {
        "tokens": ", ".join(_lua_string(t) for t in tokens),
        "entries": ",\n".join(f"{{{t + 1}, {_lua_string(b)}}}" for t, b in entries),
        "threads": threads,
        "path": path,
        "marker": _lua_string(marker) if marker else "nil",
    }


def threads_for_load() -> int:
    return max(1, len(LOAD_CPUS.split(","))) if LOAD_CPUS else 1


def run(
    url: str,
    tokens: Sequence[str],
    entries: Sequence[tuple[int, str]],
    *,
    connections: int,
    seconds: float,
    marker: str | None = None,
) -> Load:
    """Drive `url` for `seconds` with `connections` keep-alive connections."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    threads = min(threads_for_load(), connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script(tokens, entries, threads, marker=marker))
        lua = Path(handle.name)
    try:
        done = subprocess.run(
            pinned(
                [
                    # Below the mocks in priority: on the shared load core, the load generator
                    # must not starve the upstreams (a cache refill would then take seconds).
                    "nice",
                    "-n",
                    "10",
                    "wrk",
                    f"-t{threads}",
                    f"-c{connections}",
                    f"-d{seconds:g}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(lua),
                    url,
                ],
                LOAD_CPUS,
            ),
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        lua.unlink()
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    secs = data["duration_us"] / 1e6
    return Load(
        requests=data["requests"],
        seconds=round(secs, 2),
        rps=round(data["requests"] / secs, 1),
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=round(data["mean_us"] / 1000, 3),
        max_ms=data["max_us"] / 1000,
        non_200=data["non_200"],
        socket_errors=data["socket_errors"],
        timeouts=data["timeouts"],
        graphql_errors=data["graphql_errors"],
        marked=data["marked"],
        wrapped=data["sent"] > data["entries"],
    )
