"""The vaccination registry speaks FHIR R4 Immunization, searched by patient."""

from __future__ import annotations

from typing import Any

import httpx

from mocks.seed import dataset_for
from mocks.settings import MockSettings
from tests.mocks.support import REFERENCE

SEARCH = "/vaccination/fhir/Immunization"
CVX = "http://hl7.org/fhir/sid/cvx"
EU = "https://ec.europa.eu/health/documents/community-register/html/"


async def _search(client: httpx.AsyncClient, auth: dict[str, str], pid: str) -> dict[str, Any]:
    response = await client.get(SEARCH, params={"patient": f"Patient/{pid}"}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json"
    body: dict[str, Any] = response.json()
    return body


def _codes(resource: dict[str, Any]) -> dict[str, str]:
    return {c["system"]: c["code"] for c in resource["vaccineCode"]["coding"]}


async def test_immunizations_are_fhir(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    bundle = await _search(client, auth, "P0000001")  # two Pfizer-BioNTech doses
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 2)
    first = bundle["entry"][0]["resource"]
    assert first["resourceType"] == "Immunization"
    assert first["status"] == "completed"
    assert _codes(first) == {CVX: "208", EU: "EU/1/20/1528"}
    assert first["vaccineCode"]["text"] == "Pfizer-BioNTech"
    assert first["patient"] == {"reference": "Patient/P0000001"}
    assert first["lotNumber"].startswith("FF")
    assert first["performer"][0]["actor"]["display"].startswith("Trạm Y tế")
    assert [
        e["resource"]["protocolApplied"][0]["doseNumberPositiveInt"] for e in bundle["entry"]
    ] == [1, 2]
    assert bundle["entry"][0]["fullUrl"].endswith(f"/vaccination/fhir/Immunization/{first['id']}")


async def test_dates_are_local_calendar_dates(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    bundle = await _search(client, auth, "P0000004")  # second dose exactly 14 days ago
    dates = [e["resource"]["occurrenceDateTime"] for e in bundle["entry"]]
    assert dates == ["2021-09-10", "2021-10-01"]  # reference: 2021-10-15 09:30 +07:00
    assert REFERENCE.date().isoformat() == "2021-10-15"


async def test_products_without_cvx_are_told_apart_by_eu_code(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    abdala = (await _search(client, auth, "P0000008"))["entry"][0]["resource"]
    hayat = (await _search(client, auth, "P0000028"))["entry"][0]["resource"]
    janssen = (await _search(client, auth, "P0000003"))["entry"][0]["resource"]
    assert _codes(abdala) == {CVX: "500", EU: "Abdala"}
    assert _codes(hayat) == {CVX: "500", EU: "Hayat-Vax"}
    assert _codes(janssen) == {CVX: "212", EU: "EU/1/20/1525"}


async def test_post_search_groups_matches_by_patient(
    client: httpx.AsyncClient, auth: dict[str, str], settings: MockSettings
) -> None:
    ids = [f"P{i:07d}" for i in range(1, 301)]
    form = {"patient": ",".join(f"Patient/{i}" for i in ids)}
    response = await client.post(f"{SEARCH}/_search", data=form, headers=auth)
    assert response.status_code == 200
    counts: dict[str, int] = {}
    for entry in response.json()["entry"]:
        pid = entry["resource"]["patient"]["reference"].removeprefix("Patient/")
        counts[pid] = counts.get(pid, 0) + 1
    doses = dataset_for(settings).doses
    assert counts == {i: len(doses[i]) for i in ids if i in doses}


async def test_over_1000_patients_is_an_operation_outcome(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    form = {"patient": ",".join(f"Patient/P{i:07d}" for i in range(1, 1002))}
    response = await client.post(f"{SEARCH}/_search", data=form, headers=auth)
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"


async def test_search_needs_a_patient(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(SEARCH, headers=auth)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_read_by_id(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"{SEARCH}/imm-P0000008-3", headers=auth)
    assert response.status_code == 200
    assert response.json()["protocolApplied"][0]["doseNumberPositiveInt"] == 3
    missing = await client.get(f"{SEARCH}/imm-P0000008-4", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["issue"][0]["code"] == "not-found"
