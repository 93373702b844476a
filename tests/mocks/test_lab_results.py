"""Lab results speak FHIR R4 Observation, with LOINC test codes and SNOMED results."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.mocks.support import REFERENCE

SEARCH = "/lab/fhir/Observation"


async def test_observations_are_fhir(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(SEARCH, params={"patient": "Patient/P0000022"}, headers=auth)
    assert response.headers["content-type"] == "application/fhir+json"
    [entry] = response.json()["entry"]  # a negative PCR 71 hours before the reference
    obs = entry["resource"]
    assert (obs["resourceType"], obs["status"]) == ("Observation", "final")
    assert obs["category"][0]["coding"][0]["code"] == "laboratory"
    assert obs["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "94500-6",
        "display": obs["code"]["coding"][0]["display"],
    }
    assert obs["subject"] == {"reference": "Patient/P0000022"}
    assert obs["valueCodeableConcept"]["coding"][0]["code"] == "260415000"
    sampled = datetime.fromisoformat(obs["effectiveDateTime"])
    assert obs["effectiveDateTime"].endswith("+07:00")
    assert sampled == REFERENCE - timedelta(hours=71)
    assert datetime.fromisoformat(obs["issued"]) <= REFERENCE


async def test_rapid_antigen_positive(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(SEARCH, params={"patient": "P0000018"}, headers=auth)
    [entry] = response.json()["entry"]
    assert entry["resource"]["code"]["coding"][0]["code"] == "94558-4"
    assert entry["resource"]["valueCodeableConcept"]["coding"][0]["code"] == "260373001"


async def test_post_search_with_an_or_list(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    form = {"patient": "Patient/P0000017,Patient/P0000026,Patient/P0000022"}
    response = await client.post(f"{SEARCH}/_search", data=form, headers=auth)
    subjects = [e["resource"]["subject"]["reference"] for e in response.json()["entry"]]
    assert subjects == ["Patient/P0000017", "Patient/P0000022"]  # P0000026 has no records


async def test_over_1000_patients_is_400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    form = {"patient": ",".join(f"P{i:07d}" for i in range(1001))}
    response = await client.post(f"{SEARCH}/_search", data=form, headers=auth)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
