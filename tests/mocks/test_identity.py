"""The population register: one person, a batch, a phone lookup."""

from __future__ import annotations

import httpx

from mocks.seed import dataset_for
from mocks.settings import MockSettings

PERSON_KEYS = {
    "id",
    "fullName",
    "dateOfBirth",
    "gender",
    "nationalId",
    "phone",
    "district",
    "districtName",
    "ward",
    "address",
}


async def test_person_by_id(
    client: httpx.AsyncClient, auth: dict[str, str], settings: MockSettings
) -> None:
    response = await client.get("/identity/persons/P0000004", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PERSON_KEYS
    person = dataset_for(settings).persons["P0000004"]
    assert body["fullName"] == person.full_name
    assert body["dateOfBirth"] == person.date_of_birth.isoformat()
    assert (body["district"], body["districtName"]) == ("787", "Huyện Cần Giờ")


async def test_unknown_person_is_404(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/identity/persons/P9999999", headers=auth)
    assert (response.status_code, response.json()) == (404, {"error": "not_found"})


async def test_batch_returns_found_in_order_and_names_the_missing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = ["P0000003", "nobody", "P0000001", "P0000003"]
    response = await client.post("/identity/persons/batch", json={"ids": ids}, headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["persons"]] == ["P0000003", "P0000001"]
    assert body["notFound"] == ["nobody"]


async def test_batch_of_1000_is_served(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    ids = [f"P{i:07d}" for i in range(1, 1001)]
    response = await client.post("/identity/persons/batch", json={"ids": ids}, headers=auth)
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["persons"]] == ids


async def test_batch_over_1000_is_400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    ids = [f"P{i:07d}" for i in range(1, 1002)]
    response = await client.post("/identity/persons/batch", json={"ids": ids}, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "1000" in response.json()["message"]


async def test_batch_body_must_be_an_id_list(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for body in (b"not json", b'{"ids": "P0000001"}', b'{"ids": [1, 2]}', b"[]"):
        response = await client.post("/identity/persons/batch", content=body, headers=auth)
        assert response.status_code == 400, body
        assert response.json()["error"] == "invalid_request"


async def test_person_by_phone(
    client: httpx.AsyncClient, auth: dict[str, str], settings: MockSettings
) -> None:
    phone = dataset_for(settings).persons["P0000010"].phone
    response = await client.get("/identity/persons", params={"phone": phone}, headers=auth)
    assert [p["id"] for p in response.json()["persons"]] == ["P0000010"]
    response = await client.get("/identity/persons", params={"phone": "0000000000"}, headers=auth)
    assert response.json() == {"persons": []}
    response = await client.get("/identity/persons", headers=auth)
    assert response.status_code == 400
