"""Vaccine passports end to end: issued by `Person.vaccinePassport`, round-tripped through the
QR image, our command and an independent decoder, and scanned at `personStatus(qr:)`."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from gateway.dcc.verify import revocation_hash
from gateway.keys import new_key
from gateway.settings import DccSettings
from gateway.timezone import LOCAL
from tests.checkpoint_support import SCAN, SCAN_WITH_PERSON, decode_png_data_uri
from tests.conftest import gateway_settings, open_gateway
from tests.dcc.forge import (
    TEST_EKU,
    VACCINATION_EKU,
    decode_hc1,
    es256_verifies,
    hcert_claims,
    make_signer,
    seal,
    vaccination,
)
from tests.support import MocksAdmin, error_summary, gql
from tests.test_person_status import PERSONAS

PASSPORT = """query($id: ID!) { person(id: $id) { vaccinations { date productCode }
  vaccinePassport { payload uvci issuedAt expiresAt doseNumber totalDoses vaccinationDate
  medicinalProduct pngDataUri svg } } }"""
MY_PASSPORT = "{ me { vaccinePassport { payload vaccinationDate } } }"
BY_ID = """query($id: ID!) { personStatus(personId: $id) {
  color reasons validUntil maskedName birthYear } }"""
INFECTION = {"ACTIVE_F0", "RECENT_POSITIVE_TEST"}


def persona(case_starts: str) -> dict[str, Any]:
    return next(p for p in PERSONAS if p["case"].startswith(case_starts))


async def passport_of(
    client: httpx.AsyncClient, token: Callable[..., str], person: dict[str, Any]
) -> dict[str, Any]:
    officer = token("health_officer", district=person["district"])
    _, body = await gql(client, PASSPORT, {"id": person["personId"]}, token=officer)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["person"]
    return found


async def scan(client: httpx.AsyncClient, token: Callable[..., str], text: str) -> dict[str, Any]:
    _, body = await gql(client, SCAN, {"qr": text}, token=token("checkpoint", district="778"))
    return body


async def trust_list(client: httpx.AsyncClient) -> list[dict[str, str]]:
    response = await client.get("/dcc/trust-list")
    assert response.status_code == 200
    published: list[dict[str, str]] = response.json()
    return published


def run_verify(text: str, trust_file: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "dcc", "verify", text, "--trust", str(trust_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


ROUND_TRIP = [
    "Two Pfizer-BioNTech doses",
    "Mixed schedule",
    "One Janssen dose",
    "Three Abdala doses",
    "Pfizer-BioNTech series done 400 days ago",
]


@pytest.mark.parametrize("case", ROUND_TRIP)
async def test_an_issued_passport_round_trips(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    mocks: MocksAdmin,
    tmp_path: Path,
    case: str,
) -> None:
    person = persona(case)
    record = await mocks.get(f"/identity/persons/{person['personId']}")

    issued = await passport_of(client, token, person)

    passport = issued["vaccinePassport"]
    # The image decodes to exactly the text (zbarimg).
    assert decode_png_data_uri(passport["pngDataUri"]) == [passport["payload"]]
    assert passport["svg"].startswith("<svg")
    # Our command verifies it against the published trust list.
    published = await trust_list(client)
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(published))
    code, report = run_verify(passport["payload"], trust_file)
    assert (code, report["valid"], report["reason"], report["kid"]) == (
        0,
        True,
        None,
        published[0]["kid"],
    )
    # An independent decoder (base45, zlib, cbor2, cryptography) reads and verifies the same.
    decoded = decode_hc1(passport["payload"])
    signer = x509.load_der_x509_certificate(base64.b64decode(published[0]["rawData"]))
    assert es256_verifies(signer, decoded)
    assert decoded.protected_header[4] == base64.b64decode(published[0]["kid"])
    assert decoded.claims[1] == "VN"
    issued_at, expires_at = (datetime.fromtimestamp(decoded.claims[k], LOCAL) for k in (6, 4))
    assert issued_at.isoformat() == passport["issuedAt"]
    assert expires_at.isoformat() == passport["expiresAt"]
    assert (expires_at.year - issued_at.year, expires_at.month, expires_at.day) == (
        1,
        issued_at.month,
        issued_at.day,
    )
    certificate = decoded.certificate
    assert certificate["dob"] == record["dateOfBirth"]
    assert f"{certificate['nam']['fn']} {certificate['nam']['gn']}" == record["fullName"]
    entry = certificate["v"][0]
    doses = issued["vaccinations"]
    assert (entry["dn"], entry["sd"], entry["dt"]) == (len(doses), len(doses), doses[-1]["date"])
    assert (entry["tg"], entry["co"], entry["is"]) == (
        "840539006",
        "VN",
        "Ministry of Health Vietnam",
    )
    assert (entry["ci"], entry["mp"]) == (passport["uvci"], passport["medicinalProduct"])
    assert passport["uvci"].startswith("URN:UVCI:01:VN:")


async def test_the_trust_list_publishes_the_signing_certificate(
    client: httpx.AsyncClient,
) -> None:
    published = await trust_list(client)

    assert len(published) == 1
    entry = published[0]
    der = base64.b64decode(entry["rawData"])
    assert entry["kid"] == base64.b64encode(hashlib.sha256(der).digest()[:8]).decode()
    assert (entry["country"], entry["certificateType"]) == ("VN", "DSC")
    usage = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    )
    assert [oid.dotted_string for oid in usage.value] == [VACCINATION_EKU]


def vaccination_decides(person: dict[str, Any]) -> bool:
    return not INFECTION & set(person["expectedReasons"])


WITH_SERIES = [
    p
    for p in PERSONAS
    if vaccination_decides(p)
    and ("FULLY_VACCINATED" in p["expectedReasons"] or "expired" in p["case"])
]


@pytest.mark.parametrize("person", WITH_SERIES, ids=[p["case"] for p in WITH_SERIES])
async def test_a_scanned_passport_has_the_colour_of_the_persons_status(
    client: httpx.AsyncClient, token: Callable[..., str], person: dict[str, Any]
) -> None:
    officer = token("health_officer", district=person["district"])
    _, by_id = await gql(client, BY_ID, {"id": person["personId"]}, token=officer)
    passport = (await passport_of(client, token, person))["vaccinePassport"]

    body = await scan(client, token, passport["payload"])

    assert "errors" not in body, body
    scanned, expected = body["data"]["personStatus"], by_id["data"]["personStatus"]
    assert scanned["color"] == expected["color"] == person["expectedColor"]
    assert (scanned["maskedName"], scanned["birthYear"]) == (
        expected["maskedName"],
        expected["birthYear"],
    )
    assert scanned["declarationValidUntil"] is None
    if expected["color"] == "GREEN":
        assert scanned["reasons"] == ["FULLY_VACCINATED"]
        assert scanned["validUntil"] == expected["validUntil"]
    else:  # an expired series: partial protection, bounded by the passport's own expiry
        assert scanned["reasons"] == expected["reasons"] == ["PARTIALLY_VACCINATED"]
        assert scanned["validUntil"] == passport["expiresAt"]


async def test_a_series_not_yet_14_days_old_is_red_on_the_passport(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    # The register knows the first Moderna dose (41 days ago): YELLOW. The passport certifies
    # only the second (13 days ago), and EU rules give a series 14 days: RED, never more.
    person = persona("Second Moderna dose 13 days ago")
    passport = (await passport_of(client, token, person))["vaccinePassport"]
    today = datetime.now(LOCAL).date()
    assert date.fromisoformat(passport["vaccinationDate"]) == today - timedelta(days=13)

    body = await scan(client, token, passport["payload"])

    assert person["expectedColor"] == "YELLOW"
    assert body["data"]["personStatus"]["color"] == "RED"
    assert body["data"]["personStatus"]["reasons"] == ["NO_PROTECTION"]


@pytest.mark.parametrize(
    "case", ["Active F0 confirmed 16 days ago", "Fully vaccinated, positive rapid antigen"]
)
async def test_a_vaccination_certificate_does_not_carry_infection_facts(
    client: httpx.AsyncClient, token: Callable[..., str], case: str
) -> None:
    # As in the EU: a vaccination certificate proves the series, not the absence of infection.
    person = persona(case)
    passport = (await passport_of(client, token, person))["vaccinePassport"]

    body = await scan(client, token, passport["payload"])

    assert person["expectedColor"] == "RED"
    assert body["data"]["personStatus"]["color"] == "GREEN"


async def test_a_checkpoint_never_sees_the_person_and_an_officer_sees_none(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    person = persona("Two Pfizer-BioNTech doses")
    passport = (await passport_of(client, token, person))["vaccinePassport"]

    _, at_checkpoint = await gql(
        client,
        SCAN_WITH_PERSON,
        {"qr": passport["payload"]},
        token=token("checkpoint", district="778"),
    )
    _, by_officer = await gql(
        client,
        SCAN_WITH_PERSON,
        {"qr": passport["payload"]},
        token=token("health_officer", district="778"),
    )

    assert at_checkpoint["data"]["personStatus"]["person"] is None
    assert error_summary(at_checkpoint) == [("FORBIDDEN", ["personStatus", "person"])]
    assert by_officer["data"]["personStatus"]["person"] is None
    assert "errors" not in by_officer
    _, by_id = await gql(
        client, BY_ID, {"id": person["personId"]}, token=token("health_officer", district="778")
    )
    masked = by_id["data"]["personStatus"]["maskedName"]
    assert masked.count("***") >= 1
    assert at_checkpoint["data"]["personStatus"]["maskedName"] == masked
    assert by_officer["data"]["personStatus"]["maskedName"] == masked


async def test_a_citizen_gets_their_own_passport(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    person = persona("One Janssen dose")

    _, body = await gql(client, MY_PASSPORT, token=token("citizen", person_id=person["personId"]))

    assert "errors" not in body
    assert body["data"]["me"]["vaccinePassport"]["payload"].startswith("HC1:")


async def test_no_passport_without_a_completed_series(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    person = persona("Two of three Abdala doses")

    _, body = await gql(client, MY_PASSPORT, token=token("citizen", person_id=person["personId"]))

    assert body["data"]["me"] == {"vaccinePassport": None}
    assert error_summary(body) == [("NOT_FOUND", ["me", "vaccinePassport"])]
    assert "no completed vaccination series" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("role", "claims"),
    [("employer", {"employer_id": "E0001"}), ("district_admin", {"district": "778"})],
)
async def test_other_roles_may_not_read_a_passport(
    client: httpx.AsyncClient, token: Callable[..., str], role: str, claims: dict[str, str]
) -> None:
    person = persona("Two Pfizer-BioNTech doses")  # district 778, on E0001's list
    query = "query($id: ID!) { person(id: $id) { id vaccinePassport { payload } } }"

    _, body = await gql(client, query, {"id": person["personId"]}, token=token(role, **claims))

    assert body["data"]["person"] == {"id": person["personId"], "vaccinePassport": None}
    assert error_summary(body) == [("FORBIDDEN", ["person", "vaccinePassport"])]


async def test_the_vaccination_registry_down_fails_only_the_passport(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    person = persona("Two Pfizer-BioNTech doses")
    await mocks.set_faults("vaccination", mode="down")
    query = "{ me { id vaccinePassport { payload } } }"

    _, body = await gql(fresh_client, query, token=token("citizen", person_id=person["personId"]))

    assert body["data"]["me"] == {"id": person["personId"], "vaccinePassport": None}
    assert error_summary(body) == [("UPSTREAM_UNAVAILABLE", ["me", "vaccinePassport"])]


# A foreign traveller's passports, signed by a trusted "DE" signer limited to vaccinations.
TRAVELLER = make_signer("ES256", key_usage=(VACCINATION_EKU,))
TEST_ONLY = make_signer("ES256", key_usage=(TEST_EKU,))
REVOKED_UVCI = "URN:UVCI:01:DE:REVOKED/1#Q"


@pytest.fixture(scope="module")
async def border(
    mocks_transport: httpx.ASGITransport, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway trusting the traveller's signers, with one UVCI revoked."""
    folder = tmp_path_factory.mktemp("dcc")
    trust, revoked = folder / "trust.json", folder / "revoked.txt"
    trust.write_text(json.dumps([TRAVELLER.trust_entry("DE"), TEST_ONLY.trust_entry("DE")]))
    revoked.write_text(f"{revocation_hash(REVOKED_UVCI)}\n")
    settings = gateway_settings()
    dcc = DccSettings(trust_list=str(trust), revocation_list=revoked)
    async with open_gateway(mocks_transport, replace(settings, dcc=dcc)) as client:
        yield client


def traveller_passport(**changes: Any) -> str:
    now = datetime.now(LOCAL)
    issued, expires = now - timedelta(days=30), now + timedelta(days=300)
    certificate = vaccination(dt=(now - timedelta(days=40)).date().isoformat())
    signer = TRAVELLER
    if "uvci" in changes:
        certificate = vaccination(uvci=changes["uvci"])
    if "expired" in changes:
        issued, expires = now - timedelta(days=400), now - timedelta(seconds=5)
    if "empty" in changes:
        certificate = {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": ""}
    if "test_only" in changes:
        signer = TEST_ONLY
    return seal(
        changes.get("stranger", signer),
        hcert_claims(certificate, issued, expires),
        tamper=bool(changes.get("tamper")),
    )


async def test_a_travellers_passport_is_green_with_no_person_behind_it(
    border: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    body = await scan(border, token, traveller_passport())

    assert "errors" not in body, body
    status = body["data"]["personStatus"]
    assert (status["color"], status["reasons"]) == ("GREEN", ["FULLY_VACCINATED"])
    assert (status["maskedName"], status["birthYear"]) == ("M*** Erika", 1964)
    assert status["policy"] == "hcmc-2021-10"


REFUSALS = {
    "DECODE": lambda: "HC1:THIS IS NOT BASE45~",
    "UNKNOWN_KEY": lambda: traveller_passport(stranger=make_signer("ES256")),
    "SIGNATURE": lambda: traveller_passport(tamper=True),
    "PAYLOAD": lambda: traveller_passport(empty=True),
    "KEY_USAGE": lambda: traveller_passport(test_only=True),
    "EXPIRED": lambda: traveller_passport(expired=True),
    "REVOKED": lambda: traveller_passport(uvci=REVOKED_UVCI),
}


@pytest.mark.parametrize("reason", list(REFUSALS))
async def test_every_refusal_is_invalid_qr_with_its_reason(
    border: httpx.AsyncClient, token: Callable[..., str], reason: str
) -> None:
    body = await scan(border, token, REFUSALS[reason]())

    assert body["data"] == {"personStatus": None}
    assert error_summary(body) == [("INVALID_QR", ["personStatus"])]
    assert body["errors"][0]["extensions"] == {"code": "INVALID_QR", "reason": reason}


async def test_a_production_gateway_without_passport_keys_verifies_but_issues_none(
    mocks_transport: httpx.ASGITransport, token: Callable[..., str], tmp_path: Path
) -> None:
    keys = tmp_path / "qr-keys.json"
    key = new_key()
    keys.write_text(json.dumps({"active": key["kid"], "keys": [key]}))
    settings = gateway_settings()
    production = replace(
        settings,
        env="production",
        data_dir=tmp_path,
        checkpoint=replace(settings.checkpoint, keys_file=keys),
    )
    person = persona("Two Pfizer-BioNTech doses")

    async with open_gateway(mocks_transport, production) as client:
        response = await client.get("/dcc/trust-list")
        _, body = await gql(
            client, MY_PASSPORT, token=token("citizen", person_id=person["personId"])
        )

    assert response.json() == []
    assert error_summary(body) == [("UPSTREAM_UNAVAILABLE", ["me", "vaccinePassport"])]
    assert not (tmp_path / "dev-dcc-keys").exists()
