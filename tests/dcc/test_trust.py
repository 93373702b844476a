"""The trust list (file or URL), the revocation list, and their refresh."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from gateway.dcc.service import Dcc, create_dcc
from gateway.dcc.trust import (
    TrustListError,
    load_trust_list,
    parse_trust_list,
    read_revocation_list,
)
from gateway.settings import DccSettings, Settings
from tests.dcc.forge import make_signer

SIGNER = make_signer("ES256")
OTHER = make_signer("PS256")
LIST_URL = "https://dccg.example/trustList"


def test_entries_are_indexed_by_their_kid_or_the_certificates_own() -> None:
    without_kid = {k: v for k, v in OTHER.trust_entry().items() if k != "kid"}

    trust = parse_trust_list([SIGNER.trust_entry("DE"), without_kid])

    assert [e.country for e in trust.candidates(SIGNER.kid)] == ["DE"]
    assert [e.certificate for e in trust.candidates(OTHER.kid)] == [OTHER.certificate]
    assert len(trust) == 2


def test_bad_entries_are_left_out_and_the_rest_stand(caplog: pytest.LogCaptureFixture) -> None:
    entries = [
        {"kid": "AAAA", "rawData": "bm90IGEgY2VydGlmaWNhdGU="},  # not DER
        {"kid": "AAAA"},  # no rawData
        {**OTHER.trust_entry(), "kid": "not base64!"},
        "not an object",
        SIGNER.trust_entry(),
    ]

    trust = parse_trust_list(entries)

    assert len(trust) == 1 and trust.candidates(SIGNER.kid)
    assert caplog.text.count("Trust list entry skipped") == 4


def test_a_document_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(TrustListError, match="must be a JSON list"):
        parse_trust_list({"certificates": []})


async def test_a_trust_list_url_is_fetched() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == LIST_URL
        return httpx.Response(200, json=[SIGNER.trust_entry()])

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        trust = await load_trust_list(LIST_URL, client)

    assert trust.candidates(SIGNER.kid)


async def test_a_trust_list_url_that_fails_says_so() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503))

    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(TrustListError, match="cannot be fetched"):
            await load_trust_list(LIST_URL, client)


def test_the_revocation_list_is_one_hash_per_line(tmp_path: Path) -> None:
    path = tmp_path / "revoked.txt"
    path.write_text(
        "# revoked 2022-06-01\nq1w2e3r4t5y6u7i8o9p0aA==\n\n  zz+/AAAAAAAAAAAAAAAAAA==  # fraud\n"
    )

    assert read_revocation_list(path) == frozenset(
        {"q1w2e3r4t5y6u7i8o9p0aA==", "zz+/AAAAAAAAAAAAAAAAAA=="}
    )


def test_the_service_trusts_its_own_certificate_and_the_configured_file(tmp_path: Path) -> None:
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps([SIGNER.trust_entry()]))
    settings = Settings(data_dir=tmp_path, dcc=DccSettings(trust_list=str(trust_file)))

    dcc = create_dcc(settings)

    assert dcc.signer is not None
    assert dcc.trust.candidates(dcc.signer.kid) and dcc.trust.candidates(SIGNER.kid)
    assert [entry.as_json()["country"] for entry in dcc.published()] == ["VN"]
    published = dcc.published()[0].as_json()
    assert published["kid"] == base64.b64encode(dcc.signer.kid).decode()
    assert published["certificateType"] == "DSC"


def test_an_unreadable_trust_file_stops_the_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, dcc=DccSettings(trust_list=str(tmp_path / "none")))

    with pytest.raises(TrustListError):
        create_dcc(settings)


async def test_a_refresh_replaces_the_lists_and_a_failed_one_keeps_them(tmp_path: Path) -> None:
    revoked = tmp_path / "revoked.txt"
    revoked.write_text("AAAAAAAAAAAAAAAAAAAAAA==\n")
    config = DccSettings(trust_list=LIST_URL, revocation_list=revoked)
    dcc = Dcc(config, None, ())
    served = [[SIGNER.trust_entry()], [OTHER.trust_entry()]]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=served.pop(0)) if served else httpx.Response(500)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await dcc.refresh(client)
        assert (bool(dcc.trust.candidates(SIGNER.kid)), dcc.revoked) == (
            True,
            frozenset({"AAAAAAAAAAAAAAAAAAAAAA=="}),
        )
        await dcc.refresh(client)
        assert not dcc.trust.candidates(SIGNER.kid) and dcc.trust.candidates(OTHER.kid)
        await dcc.refresh(client)  # the URL now fails: the last good list stands
        assert dcc.trust.candidates(OTHER.kid)


def test_passport_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DCC_TRUST_LIST": LIST_URL,
            "DCC_REVOCATION_LIST": "/etc/dcc/revoked.txt",
            "DCC_REFRESH_INTERVAL": "600",
            "DCC_KEY_DIR": "/etc/dcc/keys",
            "DCC_VALIDITY_MONTHS": "9",
        }
    )

    assert settings.dcc == DccSettings(
        trust_list=LIST_URL,
        revocation_list=Path("/etc/dcc/revoked.txt"),
        refresh_interval=600.0,
        key_dir=Path("/etc/dcc/keys"),
        validity_months=9,
    )
    assert Settings.from_env({}).dcc == DccSettings()
