"""`make bench-peer`: Hive Gateway over the mocks' OpenAPI descriptions, doing S1-S3's work.

`bench/peer/` holds the pinned npm packages (`@graphql-hive/gateway`, `@graphql-mesh/compose-cli`,
`@omnigraph/openapi`) and `mesh.config.ts`. `mesh-compose` turns the OpenAPI documents of the
identity, vaccination, lab, F0, declarations, workforce and QR services into a supergraph (each
service's types and root fields prefixed with its name, batch POSTs exposed as queries, the
gateway's service token as a static header); `hive-gateway supergraph` serves it.

What the peer cannot do, and so does not: verify the QR's signature, evaluate the status policy,
mask names, authorize fields, cache, record check-ins. Each request instead fetches the upstream
data our gateway reads for the same answer, in one GraphQL request with parallel root fields:
- S1: the QR registry entry (by the QR id a client would take from the payload) and the
  person's identity, doses, tests, F0 cases and latest declaration;
- S2: the same without the QR, for people not asked for before;
- S3: the list's workers, then their records from the five batch endpoints, with the 1,000 ids
  passed in (one request where a client would need two: a lower bound of the peer's work).

Omnigraph reads OpenAPI 3.1's `"type": ["string", "null"]` of a required property as non-null,
so an F0 case without `recoveredAt` is an error in the peer's answer ("Cannot return null for
non-nullable field Case.recoveredAt"); the upstream data was fetched all the same, and the
report counts the answers that carried errors.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from bench import procs, scenarios
from bench.procs import ROOT, SERVER_CPUS, Server

PEER_DIR = ROOT / "bench" / "peer"

PERSON_FIELDS = """
  Identity_getPerson(id: $pid) { ... on Identity_Person { id fullName dateOfBirth } }
  Vaccination_searchImmunization(patient: $patient) { ... on Vaccination_ImmunizationBundle {
    entry { resource { occurrenceDateTime vaccineCode { text } } } } }
  Lab_searchObservation(patient: $patient) { ... on Lab_ObservationBundle {
    entry { resource { effectiveDateTime valueCodeableConcept { coding { code } } } } } }
  F0_getCasesByPerson(personId: $pid) { ... on F0_Cases {
    cases { confirmedAt recoveredAt recoveryProof } } }
  Declarations_latestDeclarations(input: {personIds: [$pid]}) { ... on Declarations_Declarations {
    declarations { submittedAt } } }
"""
SCAN = (
    "query PeerScan($qr: String!, $pid: String!, $patient: String!) {\n"
    "  Qr_getQrCode(qrId: $qr) { ... on Qr_QrCode { personId status } }\n" + PERSON_FIELDS + "}"
)
STATUS = "query PeerStatus($pid: String!, $patient: String!) {" + PERSON_FIELDS + "}"
LIST = """query PeerList($list: String!, $ids: [String]!, $patients: String!) {
  Workforce_getWorkerListWorkers(id: $list, limit: 5000) {
    ... on Workforce_getWorkerListWorkers_200_response { workers { personId addedAt } } }
  Identity_getPersonsBatch(input: {ids: $ids}) { ... on Identity_getPersonsBatch_200_response {
    persons { id fullName dateOfBirth } } }
  Vaccination_searchImmunizationPost(input: {patient: $patients}) {
    ... on Vaccination_ImmunizationBundle { entry { resource {
      patient { reference } occurrenceDateTime vaccineCode { text } } } } }
  Lab_searchObservationPost(input: {patient: $patients}) { ... on Lab_ObservationBundle {
    entry { resource { subject { reference } effectiveDateTime
      valueCodeableConcept { coding { code } } } } } }
  F0_searchCases(input: {personIds: $ids}) { ... on F0_Cases {
    cases { personId confirmedAt recoveredAt recoveryProof } } }
  Declarations_latestDeclarations(input: {personIds: $ids}) { ... on Declarations_Declarations {
    declarations { personId submittedAt } } }
}"""


def qr_id(payload: str) -> str:
    claims = payload.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))
    )
    return str(decoded["q"])


def _npx(tool: str, *args: str) -> list[str]:
    return [str(PEER_DIR / "node_modules" / ".bin" / tool), *args]


def _compose(world: scenarios.World, data: Path, logs: Path) -> Path:
    token = httpx.post(
        f"{world.mocks_url}/idp/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("healthpass-gateway", "dev-only-gateway-secret"),
    ).json()["access_token"]
    out = data / "supergraph.graphql"
    env = {**os.environ, "MOCKS_URL": world.mocks_url, "SERVICE_TOKEN": token}
    with (logs / "peer-compose.log").open("wb") as log:
        subprocess.run(
            _npx("mesh-compose", "-o", str(out)),
            cwd=PEER_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=300,
        )
    return out


def _first_error(url: str, text: str) -> tuple[bool, str | None]:
    """(usable, the first error's message): unusable when the peer answered no data at all."""
    answer = httpx.post(
        f"{url}/graphql",
        content=text,
        timeout=60,
        headers={"Content-Type": "application/json"},
    ).json()
    message = str(answer["errors"][0].get("message"))[:300] if answer.get("errors") else None
    return answer.get("data") is not None, message


def measure(world: scenarios.World, data: Path, logs: Path) -> dict[str, Any]:
    """S1-S3's work through the peer, in the same run (same mocks, same CPU pinning)."""
    if shutil.which("node") is None or not (PEER_DIR / "node_modules").is_dir():
        return {"error": "bench/peer is not installed: make bench-peer installs it (npm ci)"}
    try:
        supergraph = _compose(world, data, logs)
    except subprocess.SubprocessError as error:
        return {"error": f"mesh-compose failed ({error}); see {logs / 'peer-compose.log'}"}
    port = procs.free_port()
    env = {**os.environ, "NODE_ENV": "production"}
    command = _npx("hive-gateway", "supergraph", str(supergraph), "--port", str(port))
    try:
        server = Server("peer", command, port, env, logs, SERVER_CPUS, health="/healthcheck")
    except SystemExit as error:
        return {"error": f"Hive Gateway did not start: {error}"}
    results: dict[str, Any] = {}
    with procs.running(server) as peer:
        s1 = [
            (0, scenarios.body(SCAN, {"qr": qr_id(p), "pid": pid, "patient": f"Patient/{pid}"}))
            for pid, p in world.scanned
        ]
        s2 = [
            (0, scenarios.body(STATUS, {"pid": pid, "patient": f"Patient/{pid}"}))
            for pid, _ in world.fresh(6000)
        ]
        ids = world.listed
        s3 = [
            (
                0,
                scenarios.body(
                    LIST,
                    {
                        "list": world.list_id,
                        "ids": ids,
                        "patients": ",".join(f"Patient/{i}" for i in ids),
                    },
                ),
            )
        ]
        for name, entries, connections, warm in (
            ("S1", s1, 64, True),
            ("S2", s2, 1, False),
            ("S3", s3, 1, True),
        ):
            if not entries or not entries[0][1]:
                results[name] = {"error": "our scenario did not run, so there is nothing to mirror"}
                continue
            usable, error = _first_error(peer.url, entries[0][1])
            if not usable:
                results[name] = {"error": f"the peer answered no data: {error}"}
                continue
            saved = world.warmup
            world.warmup = saved if warm else 0
            try:
                results[name] = scenarios.steady(world, peer.url, [""], entries, connections)
            finally:
                world.warmup = saved
    return results
