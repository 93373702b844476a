"""Acceptance: 1,000 random people, the gateway against an independent reading of the policy.

Raw records come straight from the mocks' own FHIR and REST APIs; `tests/reference_policy.py`
evaluates them without any of the gateway's code, at the instant the gateway reports.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tests.reference_policy import evaluate_raw
from tests.support import MocksAdmin, gql

SAMPLE = 1000
SEED = 20211015
PEOPLE = 20_000
ALIASES = 20  # within the gateway's alias and root-field limits


async def _raw_records(mocks: MocksAdmin, ids: list[str]) -> dict[str, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {await mocks.service_token()}"}
    patients = ",".join(f"Patient/{pid}" for pid in ids)
    raw: dict[str, dict[str, Any]] = {
        pid: {"immunizations": [], "observations": [], "cases": []} for pid in ids
    }
    persons = await mocks.client.post("/identity/persons/batch", json={"ids": ids}, headers=headers)
    for person in persons.json()["persons"]:
        raw[person["id"]]["district"] = person["district"]
    for path, key, reference in (
        ("/vaccination/fhir/Immunization/_search", "immunizations", "patient"),
        ("/lab/fhir/Observation/_search", "observations", "subject"),
    ):
        bundle = (await mocks.client.post(path, data={"patient": patients}, headers=headers)).json()
        for entry in bundle.get("entry", []):
            resource = entry["resource"]
            raw[resource[reference]["reference"].removeprefix("Patient/")][key].append(resource)
    cases = await mocks.client.post("/f0/cases/search", json={"personIds": ids}, headers=headers)
    for case in cases.json()["cases"]:
        raw[case["personId"]]["cases"].append(case)
    return raw


async def _gateway_statuses(
    client: httpx.AsyncClient, token: Callable[..., str], raw: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    by_district: dict[str, list[str]] = defaultdict(list)
    for pid, records in raw.items():
        by_district[records["district"]].append(pid)
    statuses: dict[str, dict[str, Any]] = {}
    for district, ids in by_district.items():
        officer = token("health_officer", district=district)
        for start in range(0, len(ids), ALIASES):
            chunk = ids[start : start + ALIASES]
            fields = "color reasons validUntil evaluatedAt"
            aliases = (
                f'p{i}: personStatus(personId: "{pid}") {{ {fields} }}'
                for i, pid in enumerate(chunk)
            )
            query = "query {" + " ".join(aliases) + "}"
            _, body = await gql(client, query, token=officer)
            assert "errors" not in body, body["errors"][:3]
            statuses.update({pid: body["data"][f"p{i}"] for i, pid in enumerate(chunk)})
    return statuses


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


async def test_a_thousand_random_people_match_an_independent_evaluation(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    ids = [f"P{n:07d}" for n in random.Random(SEED).sample(range(1, PEOPLE + 1), SAMPLE)]
    raw = await _raw_records(mocks, ids)

    statuses = await _gateway_statuses(client, token, raw)

    mismatches = []
    for pid in ids:
        got = statuses[pid]
        at = datetime.fromisoformat(got["evaluatedAt"])
        records = raw[pid]
        color, reasons, valid_until = evaluate_raw(
            records["immunizations"], records["observations"], records["cases"], at
        )
        if (got["color"], got["reasons"], _instant(got["validUntil"])) != (
            color,
            reasons,
            valid_until,
        ):
            mismatches.append((pid, got, (color, reasons, valid_until)))
    assert mismatches == []
    colours = {statuses[pid]["color"] for pid in ids}
    assert colours == {"GREEN", "YELLOW", "RED"}, "the sample covers every colour"
