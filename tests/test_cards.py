"""Printed QR cards: every card of the PDF, rasterised, decodes to a payload that scans."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.checkpoint_support import SCAN, claims_of, decode_pdf, residents
from tests.support import MocksAdmin, error_summary, gql

PRINT = """mutation($ids: [ID!]!) { printWardCards(personIds: $ids) {
  filename contentType cards pdfBase64 } }"""


@pytest.fixture(scope="module")
async def ward(mocks: MocksAdmin) -> list[dict[str, Any]]:
    return await residents(mocks, "778", 12, start=161)


async def test_every_card_of_a_ward_print_decodes_and_scans_to_its_person(
    client: httpx.AsyncClient, token: Callable[..., str], ward: list[dict[str, Any]]
) -> None:
    _, body = await gql(
        client,
        PRINT,
        {"ids": [p["id"] for p in ward]},
        token=token("health_officer", district="778"),
    )

    assert "errors" not in body, body
    printed = body["data"]["printWardCards"]
    assert (printed["cards"], printed["contentType"]) == (12, "application/pdf")
    pdf = base64.b64decode(printed["pdfBase64"])
    assert pdf.startswith(b"%PDF-")
    pages = decode_pdf(pdf)
    assert [len(page) for page in pages] == [10, 2]
    checkpoint = token("checkpoint", district="778", sub="CP-778-CARDS")
    scanned_years = []
    for payload in [payload for page in pages for payload in page]:
        _, answer = await gql(client, SCAN, {"qr": payload}, token=checkpoint)
        assert "errors" not in answer, answer
        scanned_years.append(answer["data"]["personStatus"]["birthYear"])
    assert sorted(scanned_years) == sorted(int(p["dateOfBirth"][:4]) for p in ward)


async def test_cards_carry_the_persons_current_qr(
    client: httpx.AsyncClient, token: Callable[..., str], ward: list[dict[str, Any]]
) -> None:
    person = ward[0]
    _, mine = await gql(
        client, "{ me { qr { payload } } }", token=token("citizen", person_id=person["id"])
    )
    _, body = await gql(
        client, PRINT, {"ids": [person["id"]]}, token=token("health_officer", district="778")
    )

    [[payload]] = decode_pdf(base64.b64decode(body["data"]["printWardCards"]["pdfBase64"]))
    assert claims_of(payload)[1]["q"] == claims_of(mine["data"]["me"]["qr"]["payload"])[1]["q"]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["HOME", "P9999999"], ("NOT_FOUND", None)),
        ([], ("BAD_USER_INPUT", "personIds")),
        ([f"P{i:07d}" for i in range(1, 502)], ("BAD_USER_INPUT", "personIds")),
    ],
    ids=["unknown person", "nobody", "more than 500"],
)
async def test_a_print_with_bad_ids_is_refused_whole(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    ward: list[dict[str, Any]],
    ids: list[str],
    expected: tuple[str, str | None],
) -> None:
    ids = [ward[0]["id"] if pid == "HOME" else pid for pid in ids]
    _, body = await gql(client, PRINT, {"ids": ids}, token=token("health_officer", district="778"))

    assert body["data"] == {"printWardCards": None}
    assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]] == [
        expected
    ]


async def test_an_officer_prints_only_residents_of_the_district(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    mocks: MocksAdmin,
    ward: list[dict[str, Any]],
) -> None:
    away = (await residents(mocks, "783", 1, start=161))[0]

    _, body = await gql(
        client,
        PRINT,
        {"ids": [ward[0]["id"], away["id"]]},
        token=token("health_officer", district="778"),
    )

    assert body["data"] == {"printWardCards": None}
    assert error_summary(body) == [("FORBIDDEN", ["printWardCards"])]
    assert away["id"] in body["errors"][0]["message"]


@pytest.mark.parametrize("role", ["citizen", "checkpoint", "employer", "district_admin"])
async def test_only_health_officers_print_ward_cards(
    client: httpx.AsyncClient, token: Callable[..., str], ward: list[dict[str, Any]], role: str
) -> None:
    claims = {"citizen": {"person_id": ward[0]["id"]}, "employer": {"employer_id": "E0001"}}

    _, body = await gql(
        client,
        PRINT,
        {"ids": [ward[0]["id"]]},
        token=token(role, **claims.get(role, {"district": "778"})),
    )

    assert body["data"] == {"printWardCards": None}
    assert error_summary(body) == [("FORBIDDEN", ["printWardCards"])]
