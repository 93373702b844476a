"""Personal QR codes: images that decode to the payload, scans, and every refusal (INVALID_QR)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from gateway.keys import SigningKeys, load_keys, new_key, retire, rotate
from gateway.qr_payload import sign_payload
from tests.checkpoint_support import (
    MY_QR,
    SCAN,
    SCAN_WITH_PERSON,
    claims_of,
    decode_png_data_uri,
    residents,
)
from tests.conftest import TEST_DATA_DIR, gateway_settings, open_gateway
from tests.support import MocksAdmin, error_summary, gql

ISSUER = "hcmc-healthpass"


@pytest.fixture(scope="module")
async def people(mocks: MocksAdmin) -> dict[str, dict[str, Any]]:
    home, other = await residents(mocks, "778", 2, start=41)
    away = (await residents(mocks, "783", 1, start=41))[0]
    return {"home": home, "other": other, "away": away}


async def my_qr(client: httpx.AsyncClient, token: Callable[..., str], pid: str) -> dict[str, Any]:
    _, body = await gql(client, MY_QR, token=token("citizen", person_id=pid))
    assert "errors" not in body, body
    qr: dict[str, Any] = body["data"]["me"]["qr"]
    return qr


def dev_keys() -> SigningKeys:
    return load_keys(TEST_DATA_DIR / "dev-qr-signing-keys.json")


async def scan(
    client: httpx.AsyncClient, token: Callable[..., str], payload: str, **who: Any
) -> dict[str, Any]:
    _, body = await gql(
        client, SCAN, {"qr": payload}, token=token("checkpoint", district="778", **who)
    )
    return body


async def test_citizen_qr_png_decodes_to_exactly_the_payload(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    qr = await my_qr(client, token, people["home"]["id"])

    assert decode_png_data_uri(qr["pngDataUri"]) == [qr["payload"]]
    assert qr["svg"].startswith("<svg") and qr["svg"].rstrip().endswith("</svg>")
    header, claims = claims_of(qr["payload"])
    assert header == {"alg": "ES256", "kid": dev_keys().active.kid}
    assert set(claims) == {"iss", "q", "iat", "exp"}
    assert claims["iss"] == ISSUER and len(claims["q"]) == 16
    assert people["home"]["id"] not in qr["payload"] and people["home"]["nationalId"] not in str(
        claims
    )
    assert len(qr["payload"].encode()) < 260


async def test_the_qr_is_the_same_qr_id_on_every_read_and_for_the_health_officer(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    pid = people["other"]["id"]
    first = await my_qr(client, token, pid)
    _, body = await gql(
        client,
        "query($id: ID!) { person(id: $id) { qr { payload issuedAt } } }",
        {"id": pid},
        token=token("health_officer", district="778"),
    )

    officer_qr = body["data"]["person"]["qr"]
    assert claims_of(officer_qr["payload"])[1]["q"] == claims_of(first["payload"])[1]["q"]
    assert officer_qr["issuedAt"] == first["issuedAt"]


async def test_jwks_publishes_the_public_keys_with_kid(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == [dev_keys().active.kid]
    assert all("d" not in key and key["alg"] == "ES256" and key["crv"] == "P-256" for key in keys)


async def test_checkpoint_scan_answers_the_minimal_status(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    home = people["home"]
    qr = await my_qr(client, token, home["id"])
    _, expected = await gql(
        client,
        "query($id: ID!) { personStatus(personId: $id) { color reasons maskedName birthYear } }",
        {"id": home["id"]},
        token=token("health_officer", district="778"),
    )

    body = await scan(client, token, qr["payload"])

    assert "errors" not in body, body
    status = body["data"]["personStatus"]
    assert {k: status[k] for k in ("color", "reasons", "maskedName", "birthYear")} == expected[
        "data"
    ]["personStatus"]
    assert status["birthYear"] == int(home["dateOfBirth"][:4])


@pytest.mark.parametrize(
    ("role", "where", "person_allowed"),
    [
        ("checkpoint", "home", False),
        ("employer", "home", False),
        ("district_admin", "home", False),
        ("health_officer", "home", True),
        ("health_officer", "away", False),
    ],
    ids=["checkpoint", "employer", "district admin", "officer in district", "officer elsewhere"],
)
async def test_who_scans_decides_whether_person_is_readable(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
    role: str,
    where: str,
    person_allowed: bool,
) -> None:
    scanned = people[where]
    qr = await my_qr(client, token, scanned["id"])
    caller = token(role, employer_id="E0001") if role == "employer" else token(role, district="778")

    _, body = await gql(client, SCAN_WITH_PERSON, {"qr": qr["payload"]}, token=caller)

    status = body["data"]["personStatus"]
    assert status["color"] in {"GREEN", "YELLOW", "RED"}
    if person_allowed:
        assert status["person"] == {"id": scanned["id"], "fullName": scanned["fullName"]}
        assert "errors" not in body
    else:
        assert status["person"] is None
        assert error_summary(body) == [("FORBIDDEN", ["personStatus", "person"])]


async def test_a_citizen_may_scan_only_their_own_code(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    theirs = await my_qr(client, token, people["other"]["id"])

    _, body = await gql(
        client,
        SCAN,
        {"qr": theirs["payload"]},
        token=token("citizen", person_id=people["home"]["id"]),
    )

    assert body["data"] == {"personStatus": None}
    assert error_summary(body) == [("FORBIDDEN", ["personStatus"])]


def _tampered(payload: str) -> str:
    header, _, signature = payload.split(".")
    _, decoded = claims_of(payload)
    decoded["q"] = decoded["q"][::-1]
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _foreign(payload: str, *, same_kid: bool) -> str:
    header, claims = claims_of(payload)
    key = ECKey.import_key(new_key())
    kid = header["kid"] if same_kid else key.kid
    return jwt.encode({"alg": "ES256", "kid": kid}, claims, key, default_type=None)


def _expired(payload: str) -> str:
    _, claims = claims_of(payload)
    now = datetime.now(UTC)
    issued = datetime.fromtimestamp(claims["iat"], UTC)
    return sign_payload(dev_keys(), ISSUER, claims["q"], issued, now - timedelta(days=400), 86400)


def _foreign_issuer(payload: str) -> str:
    _, claims = claims_of(payload)
    issued = datetime.fromtimestamp(claims["iat"], UTC)
    return sign_payload(dev_keys(), "someone-else", claims["q"], issued, datetime.now(UTC), 86400)


def _unsigned(payload: str) -> str:
    _, claims, _ = payload.split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    return f"{header}.{claims}."


BAD_PAYLOADS: dict[str, Callable[[str], str]] = {
    "tampered claims": _tampered,
    "signature cut": lambda p: p[:-4],
    "foreign key, unknown kid": lambda p: _foreign(p, same_kid=False),
    "foreign key, our kid": lambda p: _foreign(p, same_kid=True),
    "expired": _expired,
    "foreign issuer": _foreign_issuer,
    "alg none": _unsigned,
    "not a JWS": lambda p: "not-a-jws.at-all",
    "empty": lambda p: "",
}


@pytest.mark.parametrize("forge", BAD_PAYLOADS.values(), ids=BAD_PAYLOADS.keys())
async def test_bad_payloads_get_invalid_qr_and_nothing_else(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
    forge: Callable[[str], str],
) -> None:
    qr = await my_qr(client, token, people["home"]["id"])

    body = await scan(client, token, forge(qr["payload"]))

    assert body == {
        "data": {"personStatus": None},
        "errors": [
            {
                "message": "The QR code is not valid.",
                "locations": [{"line": 1, "column": 40}],
                "path": ["personStatus"],
                "extensions": {"code": "INVALID_QR"},
            }
        ],
    }


async def test_an_offline_pass_is_not_accepted_as_a_qr(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    _, body = await gql(
        client,
        "{ me { offlinePass { token } } }",
        token=token("citizen", person_id=people["home"]["id"]),
    )

    answer = await scan(client, token, body["data"]["me"]["offlinePass"]["token"])

    assert error_summary(answer) == [("INVALID_QR", ["personStatus"])]


async def test_reissue_revokes_the_old_qr_at_once(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    pid = people["other"]["id"]
    old = await my_qr(client, token, pid)
    assert "errors" not in await scan(client, token, old["payload"])  # cached as active

    _, body = await gql(
        client,
        "mutation($id: ID!) { reissueQr(personId: $id) { payload issuedAt } }",
        {"id": pid},
        token=token("health_officer", district="778"),
    )
    new = body["data"]["reissueQr"]

    assert claims_of(new["payload"])[1]["q"] != claims_of(old["payload"])[1]["q"]
    assert error_summary(await scan(client, token, old["payload"])) == [
        ("INVALID_QR", ["personStatus"])
    ]
    assert (await scan(client, token, new["payload"]))["data"]["personStatus"]["color"]
    assert (await my_qr(client, token, pid))["issuedAt"] == new["issuedAt"]


async def test_another_instance_refuses_a_revoked_qr_within_the_cache_bound(
    mocks_transport: httpx.ASGITransport,
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
) -> None:
    settings = gateway_settings()
    sources = dict(settings.sources)
    sources["qr_registry"] = replace(sources["qr_registry"], cache_ttl=0.5)
    pid = people["other"]["id"]
    old = await my_qr(client, token, pid)
    async with open_gateway(mocks_transport, replace(settings, sources=sources)) as other:
        assert "errors" not in await scan(other, token, old["payload"])
        await gql(
            client,
            "mutation($id: ID!) { reissueQr(personId: $id) { issuedAt } }",
            {"id": pid},
            token=token("citizen", person_id=pid),
        )
        still_cached = await scan(other, token, old["payload"])
        await asyncio.sleep(0.6)
        refused = await scan(other, token, old["payload"])

    assert "errors" not in still_cached
    assert error_summary(refused) == [("INVALID_QR", ["personStatus"])]


async def test_registry_down_is_upstream_unavailable_not_invalid(
    fresh_client: httpx.AsyncClient,
    token: Callable[..., str],
    mocks: MocksAdmin,
    people: dict[str, Any],
) -> None:
    qr = await my_qr(fresh_client, token, people["home"]["id"])
    await mocks.set_faults("qr", mode="down")
    try:
        body = await scan(fresh_client, token, qr["payload"])
    finally:
        await mocks.client.delete("/qr/_admin/faults")

    assert body["data"] == {"personStatus": None}
    assert error_summary(body) == [("UPSTREAM_UNAVAILABLE", ["personStatus"])]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ("", "personId"),
        ('qr: "x", smsCode: "y"', "smsCode"),
        ('qr: "x", personId: "P0000001"', "personId"),
        ('smsCode: "y", personId: "P0000001"', "personId"),
    ],
    ids=["none", "qr and smsCode", "qr and personId", "smsCode and personId"],
)
async def test_person_status_takes_exactly_one_argument(
    client: httpx.AsyncClient, token: Callable[..., str], arguments: str, field: str
) -> None:
    query = f"{{ personStatus{f'({arguments})' if arguments else ''} {{ color }} }}"

    _, body = await gql(client, query, token=token("checkpoint", district="778"))

    assert body["data"] == {"personStatus": None}
    assert [e["extensions"] for e in body["errors"]] == [{"code": "BAD_USER_INPUT", "field": field}]


@pytest.mark.parametrize(
    ("role", "mutation"),
    [
        ("checkpoint", "issueQr"),
        ("employer", "issueQr"),
        ("district_admin", "issueQr"),
        ("checkpoint", "reissueQr"),
        ("employer", "reissueQr"),
        ("district_admin", "reissueQr"),
    ],
)
async def test_only_the_citizen_and_officers_issue_qrs(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
    role: str,
    mutation: str,
) -> None:
    caller = token(role, employer_id="E0001") if role == "employer" else token(role, district="778")
    _, body = await gql(
        client,
        f"mutation($id: ID!) {{ {mutation}(personId: $id) {{ payload }} }}",
        {"id": people["home"]["id"]},
        token=caller,
    )

    assert body["data"] == {mutation: None}
    assert error_summary(body) == [("FORBIDDEN", [mutation])]


async def test_issue_qr_is_refused_outside_scope(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    _, body = await gql(
        client,
        "mutation($id: ID!) { issueQr(personId: $id) { payload } }",
        {"id": people["away"]["id"]},
        token=token("health_officer", district="778"),
    )

    assert body["data"] == {"issueQr": None}
    assert error_summary(body) == [("FORBIDDEN", ["issueQr"])]


async def test_a_district_admin_reads_no_qr_pass_or_check_ins(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    _, body = await gql(
        client,
        "query($id: ID!) { person(id: $id) { id qr { payload } offlinePass { token } "
        "checkIns { id } } }",
        {"id": people["home"]["id"]},
        token=token("district_admin", district="778"),
    )

    assert body["data"]["person"] == {
        "id": people["home"]["id"],
        "qr": None,
        "offlinePass": None,
        "checkIns": None,
    }
    assert sorted(error_summary(body)) == [
        ("FORBIDDEN", ["person", "checkIns"]),
        ("FORBIDDEN", ["person", "offlinePass"]),
        ("FORBIDDEN", ["person", "qr"]),
    ]


async def test_key_rotation_old_key_verifies_new_key_signs_retired_key_refused(
    mocks_transport: httpx.ASGITransport,
    token: Callable[..., str],
    people: dict[str, Any],
    tmp_path: Path,
) -> None:
    keys_file = tmp_path / "qr-keys.json"
    first = new_key()
    keys_file.write_text(json.dumps({"active": first["kid"], "keys": [first]}))
    settings = gateway_settings()
    settings = replace(settings, checkpoint=replace(settings.checkpoint, keys_file=keys_file))
    pid = people["home"]["id"]
    async with open_gateway(mocks_transport, settings) as gateway:
        old = await my_qr(gateway, token, pid)

    second = rotate(keys_file)
    async with open_gateway(mocks_transport, settings) as gateway:
        new = await my_qr(gateway, token, pid)
        jwks = (await gateway.get("/.well-known/jwks.json")).json()
        old_scan = await scan(gateway, token, old["payload"])
        new_scan = await scan(gateway, token, new["payload"])

    retire(keys_file, first["kid"])
    async with open_gateway(mocks_transport, settings) as gateway:
        retired_scan = await scan(gateway, token, old["payload"])
        still_new = await scan(gateway, token, new["payload"])

    assert claims_of(old["payload"])[0]["kid"] == first["kid"]
    assert claims_of(new["payload"])[0]["kid"] == second
    assert [key["kid"] for key in jwks["keys"]] == [first["kid"], second]
    assert "errors" not in old_scan and "errors" not in new_scan
    assert error_summary(retired_scan) == [("INVALID_QR", ["personStatus"])]
    assert "errors" not in still_new


async def test_scans_of_one_uncached_qr_wait_for_one_registry_look_up(
    mocks_transport: httpx.ASGITransport,
    mocks: MocksAdmin,
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
) -> None:
    payload = (await my_qr(client, token, people["home"]["id"]))["payload"]
    async with open_gateway(mocks_transport) as cold:  # nothing of this QR cached
        (await mocks.client.delete("/qr/_admin/stats")).raise_for_status()
        await mocks.set_faults("qr", latencyMs=100)  # the scans arrive while it is on its way
        try:
            answers = await asyncio.gather(*(scan(cold, token, payload) for _ in range(20)))
        finally:
            (await mocks.client.delete("/qr/_admin/faults")).raise_for_status()
        looked_up = [
            r for r in await mocks.requests("qr") if r["method"] == "GET" and "/codes/" in r["path"]
        ]

    assert all("errors" not in a for a in answers)
    assert len(looked_up) == 1, looked_up
