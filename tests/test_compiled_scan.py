"""The compiled `Scan` answers exactly what Strawberry answers for the same request.

Two gateways share the mocks: one answers the shipped `Scan` by its compiled plan
(`gateway/compiled_scan.py`), the other with `COMPILED_SCAN=0` runs every request through
Strawberry. Each case sends the same request to both and compares status, data, errors (sorted
by path: Strawberry's order follows completion) and extensions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import parse
from starlette.responses import Response

from gateway import compiled_plans, compiled_scan, metrics
from gateway.compiled_plans import CompiledPlans
from gateway.compiled_scan import compile_scan
from gateway.limits import QueryLimits
from gateway.persisted import OPERATIONS_DIR, sha256_hex
from gateway.schema import GatewaySchema, create_schema
from tests.checkpoint_support import QR_OF, residents
from tests.conftest import gateway_settings, open_gateway
from tests.support import MocksAdmin

SCAN_TEXT = (OPERATIONS_DIR / "scan.graphql").read_text()
SCAN_HASH = sha256_hex(SCAN_TEXT)
STATUS_TEXT = """query Status($id: ID!) { personStatus(personId: $id) {
  color reasons validUntil maskedName birthYear declarationValidUntil } }"""
Pair = tuple[httpx.AsyncClient, httpx.AsyncClient]


@asynccontextmanager
async def gateways(transport: httpx.ASGITransport) -> AsyncIterator[Pair]:
    """(compiled, Strawberry only), each with its own cold cache."""
    async with (
        open_gateway(transport) as compiled,
        open_gateway(transport, replace(gateway_settings(), compiled_scan=False)) as plain,
    ):
        yield compiled, plain


@pytest.fixture(scope="module")
async def pair(mocks_transport: httpx.ASGITransport) -> AsyncIterator[Pair]:
    async with gateways(mocks_transport) as opened:
        yield opened


@pytest.fixture(scope="module")
async def payloads(mocks: MocksAdmin, pair: Pair, token: Callable[..., str]) -> dict[str, str]:
    """Person id → QR payload, for a spread of residents of district 778."""
    officer = token("health_officer", district="778")
    found = {}
    for person in await residents(mocks, "778", 12, start=601):
        response = await pair[0].post(
            "/graphql",
            json={"query": QR_OF, "variables": {"id": person["id"]}},
            headers={"Authorization": f"Bearer {officer}"},
        )
        found[person["id"]] = response.json()["data"]["person"]["qr"]["payload"]
    return found


def by_text(query: str = STATUS_TEXT, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def by_hash(**variables: Any) -> dict[str, Any]:
    return {
        "variables": variables,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": SCAN_HASH}},
    }


async def answers(
    pair: Pair, bearer: str, body: dict[str, Any] | bytes, **headers: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same request to both gateways; asserts the answers are the same."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json", **headers}
    compiled, plain = [
        await gateway.post("/graphql", content=content, headers=sent) for gateway in pair
    ]
    assert compiled.status_code == plain.status_code
    assert compiled.headers["content-type"] == plain.headers["content-type"]
    if "json" not in compiled.headers["content-type"]:  # Strawberry's plain-text refusals
        assert compiled.text == plain.text
        return {"text": compiled.text}, {"text": plain.text}
    ours, theirs = compiled.json(), plain.json()
    if isinstance(ours, list):  # a batch: Strawberry's, both
        assert ours == theirs
        return {"batch": ours}, {"batch": theirs}
    assert ours.get("data") == theirs.get("data")
    assert _errors(ours) == _errors(theirs)
    assert ours.get("extensions") == theirs.get("extensions")
    return ours, theirs


def _errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(body.get("errors") or [], key=lambda e: json.dumps(e.get("path")))


async def test_the_shipped_scan_compiles_and_other_shapes_do_not() -> None:
    schema = create_schema()
    plan = compile_scan(schema)
    assert plan is not None and plan.digest == SCAN_HASH
    assert [leaf.name for leaf in plan.leaves] == [
        "color",
        "reasons",
        "validUntil",
        "maskedName",
        "birthYear",
        "declarationValidUntil",
    ]
    for text in (
        "query($qr: String) { personStatus(qr: $qr) { color person { id } } }",  # not a leaf
        "query($qr: String) { personStatus(qr: $qr) { c: color } }",  # an alias
        "query($qr: String) { personStatus(qr: $qr) { ...F } } fragment F on PersonStatus "
        "{ color }",
        "query($qr: String) { personStatus(qr: $qr) { color @skip(if: true) } }",
        'query { personStatus(qr: "x") { color } }',  # a literal argument
        'query($qr: String = "x") { personStatus(qr: $qr) { color } }',  # a default
        "query($qr: String) { personStatus(qr: $qr) { color } me { id } }",
        "query($qr: String) { personStatus(qr: $qr) { colour } }",  # invalid
    ):
        assert parse(text) and compile_scan(schema, text) is None, text
    by_id = compile_scan(schema, "query($id: ID!) { personStatus(personId: $id) { color } }")
    assert by_id is not None and by_id.variables == {"id": "personId"}


async def test_texts_are_compiled_once_within_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Over the limits (here: more tokens than allowed), no document is a plan, the Scan neither.
    tight = replace(gateway_settings(), limits=replace(QueryLimits(), max_tokens=10))
    refusing = CompiledPlans(create_schema(), tight)
    assert refusing.shipped is None and refusing.plan_for({"query": STATUS_TEXT}) is None

    plans = CompiledPlans(create_schema(), gateway_settings())
    compiled: list[str] = []

    def counted(*args: Any) -> Any:
        compiled.append(args[1])
        return compile_scan(*args)

    monkeypatch.setattr(compiled_plans, "compile_scan", counted)

    # The same text twice: one compilation, the same plan.
    first = plans.plan_for({"query": STATUS_TEXT})
    assert first is not None and plans.plan_for({"query": STATUS_TEXT}) is first
    # Other documents, and text beside a persisted-query hash, are Strawberry's, at no cost.
    assert plans.plan_for({"query": "{ me { id } }"}) is None
    assert plans.plan_for({"query": SCAN_TEXT, "extensions": by_hash()["extensions"]}) is None
    assert plans.plan_for({"query": " " * 3000 + STATUS_TEXT}) is None
    assert plans.plan_for(by_hash()) is plans.shipped
    assert (
        plans.plan_for({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0"}}})
        is None
    )
    assert compiled == [STATUS_TEXT]
    # At most MAX_TEXT_PLANS texts are remembered: the oldest goes first.
    monkeypatch.setattr(compiled_plans, "MAX_TEXT_PLANS", 3)
    for n in range(4):
        plans.plan_for({"query": f"{STATUS_TEXT} # {n}"})
    assert len(compiled) == 5 and len(plans._by_text) == 3
    assert STATUS_TEXT not in plans._by_text


async def test_a_field_guarded_by_an_extension_is_never_compiled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = create_schema()
    plain = compiled_scan._plain_fields(schema)
    assert "PersonStatus.person" not in plain  # @allow(CITIZEN, HEALTH_OFFICER)
    assert {f"PersonStatus.{name}" for name in compiled_scan.READERS} <= plain
    assert "Query.personStatus" in plain

    # Were `birthYear` to be guarded (an `allow`), the shipped Scan would run through Strawberry.
    for guarded in ("PersonStatus.birthYear", "Query.personStatus"):
        monkeypatch.setattr(compiled_scan, "_plain_fields", lambda _, g=guarded: plain - {g})
        assert compile_scan(schema) is None, guarded


async def test_scans_by_checkpoints_answer_the_same(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str]
) -> None:
    checkpoint = token("checkpoint", district="778")
    colors = set()
    for payload in payloads.values():
        ours, _ = await answers(pair, checkpoint, by_hash(qr=payload))
        assert "errors" not in ours
        colors.add(ours["data"]["personStatus"]["color"])
    assert len(colors) >= 2, colors  # the residents chosen cover more than one policy case


async def test_every_role_answers_the_same(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str]
) -> None:
    (own_id, own), (_, other) = list(payloads.items())[:2]
    callers = [
        token("employer", employer_id="E0042"),  # its district comes from the registry
        token("health_officer", district="778"),  # not a scanner: no check-in
        token("citizen", person_id=own_id),
    ]
    for bearer in callers:
        await answers(pair, bearer, by_hash(qr=own))
    ours, _ = await answers(pair, token("citizen", person_id=own_id), by_hash(qr=other))
    assert ours["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert ours["data"] == {"personStatus": None}


async def test_refusals_answer_the_same(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str]
) -> None:
    checkpoint = token("checkpoint", district="778")
    payload = next(iter(payloads.values()))
    tampered = payload[:-4] + ("AAAA" if not payload.endswith("AAAA") else "BBBB")
    cases: list[dict[str, Any] | bytes] = [
        by_hash(qr=tampered),  # INVALID_QR, compiled
        by_hash(qr=""),
        by_hash(smsCode="not-a-code"),  # BAD_USER_INPUT, compiled
        by_hash(qr=payload, smsCode="7K3QX-M9P2D"),  # two arguments: Strawberry's refusal
        by_hash(),  # none
        by_hash(qr=42),  # a wrong type: graphql-core's words
        by_hash(qr="HC1:NCFOXN%TSMAHN-H"),  # a vaccine passport: Strawberry
        {**by_hash(qr=payload), "operationName": "Other"},
        {**by_hash(qr=payload), "query": SCAN_TEXT},  # hash and text
        {**by_hash(qr=payload), "extensions": {"persistedQuery": {"version": 2}}},
        [by_hash(qr=payload), by_hash(qr=payload)],  # type: ignore[list-item]  # a batch
        b"{not json",
    ]
    for body in cases:
        await answers(pair, checkpoint, body)


async def test_a_compiled_scan_skips_strawberry_and_counts_as_the_scan(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    executed: list[str | None] = []
    original = metrics.observe_operation

    def observed(name: str | None, *args: Any, **kwargs: Any) -> None:
        executed.append(name)
        original(name, *args, **kwargs)

    monkeypatch.setattr(metrics, "observe_operation", observed)
    strawberry_runs: list[str | None] = []
    execute = GatewaySchema.execute

    async def counted(self: GatewaySchema, query: str | None, *args: Any, **kwargs: Any) -> Any:
        strawberry_runs.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(GatewaySchema, "execute", counted)
    checkpoint = token("checkpoint", district="778")
    payload = next(iter(payloads.values()))

    await answers(pair, checkpoint, by_hash(qr=payload))
    await answers(pair, token("health_officer", district="778"), by_text(id=next(iter(payloads))))

    # Only the Strawberry-only gateway ran Strawberry's executor; both counted the operations.
    assert len(strawberry_runs) == 2
    assert executed == ["Scan", "Scan", "Status", "Status"]
    scraped = (await pair[0].get("/metrics")).text
    assert 'graphql_requests_total{operation="Scan",outcome="ok"}' in scraped


async def test_upstream_faults_answer_the_same(
    mocks_transport: httpx.ASGITransport,
    mocks: MocksAdmin,
    payloads: dict[str, str],
    token: Callable[..., str],
) -> None:
    checkpoint = token("checkpoint", district="778")
    expected = {  # what each source's outage does to a scan
        "identity": [["personStatus", "birthYear"], ["personStatus", "maskedName"]],
        "lab": [],  # the colour: UNKNOWN
        "declarations": [["personStatus", "declarationValidUntil"]],
    }
    try:
        for (service, paths), payload in zip(expected.items(), payloads.values(), strict=False):
            await mocks.reset()
            await mocks.set_faults(service, mode="down")
            async with gateways(mocks_transport) as cold:  # nothing cached yet
                ours, _ = await answers(cold, checkpoint, by_hash(qr=payload))
            assert [e["path"] for e in _errors(ours)] == paths, ours
            assert {e["extensions"]["code"] for e in _errors(ours)} <= {"UPSTREAM_UNAVAILABLE"}
            if service == "lab":
                assert ours["data"]["personStatus"]["color"] == "UNKNOWN"
    finally:
        await mocks.set_faults("declarations", mode="ok")
        await mocks.reset()


async def test_an_unexpected_error_is_masked_the_same(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str) -> str:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("gateway.schema.status.mask_name", broken)
    payload = list(payloads.values())[-1]

    ours, _ = await answers(pair, token("checkpoint", district="778"), by_hash(qr=payload))

    assert ours["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 6, "column": 5}],
            "path": ["personStatus", "maskedName"],
        }
    ]
    assert "secret" not in json.dumps(ours)


async def test_a_stale_answer_says_so_the_same(
    mocks_transport: httpx.ASGITransport,
    mocks: MocksAdmin,
    payloads: dict[str, str],
    token: Callable[..., str],
) -> None:
    base = gateway_settings()
    short = {**base.sources, "vaccination": replace(base.sources["vaccination"], cache_ttl=0.05)}
    configured = replace(base, sources=short, resilience=replace(base.resilience, retries=0))
    checkpoint = token("checkpoint", district="778")
    person_id, payload = list(payloads.items())[3]
    async with (
        open_gateway(mocks_transport, configured) as compiled,
        open_gateway(mocks_transport, replace(configured, compiled_scan=False)) as plain,
    ):
        await answers((compiled, plain), checkpoint, by_hash(qr=payload))  # cached, soon stale
        await asyncio.sleep(0.1)
        await mocks.set_faults("vaccination", mode="down")
        try:
            ours, _ = await answers((compiled, plain), checkpoint, by_hash(qr=payload))
        finally:
            await mocks.reset()

    assert ours["extensions"] == {"stale": {"vaccination": [person_id]}}


async def test_statuses_by_id_answer_the_same_for_every_role(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str]
) -> None:
    own_id, other_id = list(payloads)[:2]
    for bearer, person_id, code in [
        (token("health_officer", district="778"), own_id, None),
        (token("health_officer", district="760"), own_id, "FORBIDDEN"),  # another district
        (token("health_officer", district="778"), "P9999999", "NOT_FOUND"),
        (token("citizen", person_id=own_id), own_id, None),
        (token("citizen", person_id=own_id), other_id, "FORBIDDEN"),
        (token("checkpoint", district="778"), own_id, "FORBIDDEN"),  # QR or SMS code only
        (token("employer", employer_id="E0042"), own_id, "FORBIDDEN"),  # not its worker
        (token("district_admin", district="778"), own_id, None),
    ]:
        ours, _ = await answers(pair, bearer, by_text(id=person_id))
        codes = [e["extensions"]["code"] for e in ours.get("errors", [])]
        assert codes == ([code] if code else []), (bearer, person_id, ours)


async def test_other_texts_answer_the_same(
    pair: Pair, payloads: dict[str, str], token: Callable[..., str]
) -> None:
    officer = token("health_officer", district="778")
    person_id, payload = next(iter(payloads.items()))
    for body in [
        by_text(SCAN_TEXT, qr=payload),  # the Scan by text, compiled
        by_text(
            "query($id: ID) { personStatus(personId: $id) { color validUntil } }", id=person_id
        ),
        by_text(id=42),  # an ID as a number: Strawberry coerces it
        by_text(),  # the required variable missing
        by_text(id=person_id, extra="x"),  # an undeclared variable
        {**by_text(id=person_id), "operationName": "Other"},
        by_text(f'{{ personStatus(personId: "{person_id}") {{ color }} }}'),  # a literal
        by_text(STATUS_TEXT.replace("color", "c: color"), id=person_id),  # an alias
        by_text(STATUS_TEXT.replace("color", "person { id }"), id=person_id),  # not a leaf
        by_text(STATUS_TEXT.replace("color", "colour"), id=person_id),  # invalid
        {**by_text(id=person_id), "extensions": {}},
    ]:
        await answers(pair, officer, body)


async def test_a_plan_answer_is_sent_as_starlette_would_send_it() -> None:
    sent: dict[str, list[dict[str, Any]]] = {"ours": [], "starlette": []}
    body = b'{"data":{"personStatus":null}}'
    for name, answer in (
        ("ours", compiled_scan.JSONAnswer(body)),
        ("starlette", Response(body, media_type="application/json")),
    ):

        async def send(message: dict[str, Any], into: str = name) -> None:
            sent[into].append(message)

        await answer({"type": "http"}, None, send)  # type: ignore[arg-type]
    assert sent["ours"] == sent["starlette"]
