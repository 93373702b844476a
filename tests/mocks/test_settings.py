"""Settings from the environment, with clear errors for unusable values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mocks.settings import DEV_GATEWAY_CLIENT_SECRET, Faults, MockSettings, SettingsError


def test_defaults() -> None:
    settings = MockSettings.from_env({})
    assert (settings.host, settings.port, settings.seed, settings.people) == (
        "127.0.0.1",
        8001,
        2021,
        20000,
    )
    assert settings.reference_time is None
    assert settings.issuer == "http://127.0.0.1:8001/idp"
    assert settings.idp_key_file == Path(".data/dev-idp-signing-key.json")
    assert settings.gateway_client_secret == DEV_GATEWAY_CLIENT_SECRET
    assert DEV_GATEWAY_CLIENT_SECRET not in repr(settings)
    assert MockSettings() == MockSettings() and hash(MockSettings()) == hash(MockSettings())
    assert settings.faults_for("lab") == Faults()


def test_values_from_the_environment() -> None:
    settings = MockSettings.from_env(
        {
            "MOCKS_HOST": "0.0.0.0",
            "MOCKS_PORT": "9001",
            "MOCK_SEED": "7",
            "MOCK_PEOPLE": "500",
            "MOCK_REFERENCE_TIME": "2021-10-01T02:00:00Z",
            "MOCK_IDP_ISSUER": "https://idp.example/idp",
            "MOCK_IDP_KEY_FILE": "/tmp/key.json",
            "MOCK_GATEWAY_CLIENT_SECRET": "s3cret",
            "MOCK_LATENCY_MS": "15",
            "MOCK_LAB_LATENCY_MS": "40",
            "MOCK_LAB_FAILURE_RATE": "0.25",
            "MOCK_F0_MODE": "down",
        }
    )
    assert (settings.host, settings.port, settings.seed, settings.people) == (
        "0.0.0.0",
        9001,
        7,
        500,
    )
    assert settings.reference_time == datetime(2021, 10, 1, 9, tzinfo=timezone(timedelta(hours=7)))
    assert settings.issuer == "https://idp.example/idp"
    assert settings.idp_key_file == Path("/tmp/key.json")
    assert settings.gateway_client_secret == "s3cret"
    assert settings.faults_for("lab") == Faults(latency_ms=40, failure_rate=0.25)
    assert settings.faults_for("identity") == Faults(latency_ms=15)
    assert settings.faults_for("f0") == Faults(latency_ms=15, mode="down")


def test_issuer_follows_host_and_port_unless_set() -> None:
    assert MockSettings(port=9001).issuer == "http://127.0.0.1:9001/idp"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MOCKS_PORT", "eighty"),
        ("MOCK_PEOPLE", "-5"),
        ("MOCK_REFERENCE_TIME", "2021-10-01T09:00:00"),  # no offset
        ("MOCK_REFERENCE_TIME", "yesterday"),
        ("MOCK_LAB_FAILURE_RATE", "2"),
        ("MOCK_SMS_MODE", "flaky"),
    ],
)
def test_unusable_values_are_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        MockSettings.from_env({name: value})
