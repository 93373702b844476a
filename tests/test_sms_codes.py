"""SMS codes end to end through the mock SMS gateway, and guessing rate limited per caller."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.checkpoint_support import SCAN, residents
from tests.support import MocksAdmin, error_summary, gql

SEND = """mutation($id: ID!) { sendQrSms(personId: $id) { messageId sentTo expiresAt } }"""
CODE = re.compile(r"\b([0-9A-Z]{5})-([0-9A-Z]{5})\b")


@pytest.fixture(scope="module")
async def people(mocks: MocksAdmin) -> dict[str, dict[str, Any]]:
    home, other = await residents(mocks, "778", 2, start=81)
    away = (await residents(mocks, "783", 1, start=81))[0]
    return {"home": home, "other": other, "away": away}


async def send(
    client: httpx.AsyncClient, caller: str, person_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    _, body = await gql(client, SEND, {"id": person_id}, token=caller)
    return body["data"], body


async def last_code(mocks: MocksAdmin, phone: str) -> tuple[str, str]:
    """The code in the last SMS the mock gateway sent to `phone`, and the message's id."""
    messages = (await mocks.get("/sms/messages", to=phone))["messages"]
    match = CODE.search(messages[-1]["text"])
    assert match is not None, messages[-1]
    return f"{match[1]}-{match[2]}", messages[-1]["id"]


async def scan_code(
    client: httpx.AsyncClient, token: Callable[..., str], code: str, sub: str = "CP-778-001"
) -> dict[str, Any]:
    _, body = await gql(
        client, SCAN, {"smsCode": code}, token=token("checkpoint", district="778", sub=sub)
    )
    return body


async def test_sms_code_flows_from_officer_to_phone_to_checkpoint(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin, people: dict[str, Any]
) -> None:
    home = people["home"]
    data, body = await send(client, token("health_officer", district="778"), home["id"])
    code, message_id = await last_code(mocks, home["phone"])

    answer = await scan_code(client, token, code)

    assert "errors" not in body
    receipt = data["sendQrSms"]
    assert receipt["messageId"] == message_id
    assert receipt["sentTo"] == f"{home['phone'][:3]}****{home['phone'][-3:]}"
    assert "errors" not in answer, answer
    status = answer["data"]["personStatus"]
    assert status["birthYear"] == int(home["dateOfBirth"][:4])
    assert status["maskedName"].endswith(home["fullName"].split()[-1])


async def test_codes_are_read_leniently_lower_case_and_without_the_dash(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin, people: dict[str, Any]
) -> None:
    await send(client, token("district_admin", district="778"), people["other"]["id"])
    code, _ = await last_code(mocks, people["other"]["phone"])

    answer = await scan_code(client, token, code.replace("-", " ").lower())

    assert "errors" not in answer
    assert answer["data"]["personStatus"]["birthYear"] == int(people["other"]["dateOfBirth"][:4])


async def test_a_new_code_revokes_the_previous_one(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin, people: dict[str, Any]
) -> None:
    officer = token("health_officer", district="778")
    await send(client, officer, people["home"]["id"])
    first, _ = await last_code(mocks, people["home"]["phone"])
    await send(client, officer, people["home"]["id"])
    second, _ = await last_code(mocks, people["home"]["phone"])

    refused = await scan_code(client, token, first, sub="CP-778-REVOKE")
    accepted = await scan_code(client, token, second, sub="CP-778-REVOKE")

    assert first != second
    assert error_summary(refused) == [("INVALID_QR", ["personStatus"])]
    assert refused["data"] == {"personStatus": None}
    assert "errors" not in accepted


@pytest.mark.parametrize(
    ("role", "district", "code"),
    [
        ("health_officer", "783", "FORBIDDEN"),
        ("district_admin", "783", "FORBIDDEN"),
        ("checkpoint", "778", "FORBIDDEN"),
        ("employer", None, "FORBIDDEN"),
        ("citizen", None, "FORBIDDEN"),
    ],
    ids=["officer elsewhere", "admin elsewhere", "checkpoint", "employer", "citizen self"],
)
async def test_only_officers_and_admins_of_the_district_send_codes(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
    role: str,
    district: str | None,
    code: str,
) -> None:
    home = people["home"]
    claims = {
        "employer": {"employer_id": "E0001"},
        "citizen": {"person_id": home["id"]},
    }.get(role, {"district": district})

    data, body = await send(client, token(role, **claims), home["id"])

    assert data == {"sendQrSms": None}
    assert error_summary(body) == [(code, ["sendQrSms"])]


async def test_a_malformed_code_is_bad_input_naming_the_argument(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    answer = await scan_code(client, token, "12345", sub="CP-778-MALFORMED")

    assert answer["data"] == {"personStatus": None}
    assert [e["extensions"] for e in answer["errors"]] == [
        {"code": "BAD_USER_INPUT", "field": "smsCode"}
    ]


async def test_guessing_is_rate_limited_per_caller(
    fresh_client: httpx.AsyncClient,
    token: Callable[..., str],
    mocks: MocksAdmin,
    people: dict[str, Any],
) -> None:
    await send(fresh_client, token("health_officer", district="778"), people["other"]["id"])
    code, _ = await last_code(mocks, people["other"]["phone"])
    guesses = [f"{n:05d}-ZZZZZ" for n in range(10)]

    wrong = [await scan_code(fresh_client, token, guess, sub="CP-GUESSER") for guess in guesses]
    limited = await scan_code(fresh_client, token, code, sub="CP-GUESSER")
    someone_else = await scan_code(fresh_client, token, code, sub="CP-HONEST")

    assert [error_summary(body) for body in wrong] == [[("INVALID_QR", ["personStatus"])]] * 10
    assert limited["data"] == {"personStatus": None}
    assert error_summary(limited) == [("RATE_LIMITED", ["personStatus"])]
    assert 3500 <= limited["errors"][0]["extensions"]["retryAfter"] <= 3600
    assert "errors" not in someone_else
