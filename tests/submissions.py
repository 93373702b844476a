"""Helpers of the submission tests (declarations, F0 reports): a gateway with its own outbox,
the GraphQL documents, valid inputs, and the mocks' write records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from gateway.app import create_app
from gateway.outbox import Kind, Outbox
from gateway.settings import Outbox as OutboxSettings
from tests.conftest import gateway_settings
from tests.support import MocksAdmin

MOCKS_URL = "http://127.0.0.1:8001"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

# Personas (see `python -m mocks personas`): who has an active F0 case, who has none.
ACTIVE_F0 = {"id": "P0000017", "district": "778"}
ACTIVE_F0_ELSEWHERE = {"id": "P0000016", "district": "787"}
NO_CASE = {"id": "P0000001", "district": "778"}
OTHER_DISTRICT = {"id": "P0000002", "district": "760"}

DECLARE = """mutation($input: HealthDeclarationInput!) { submitHealthDeclaration(input: $input) {
  id submittedAt declarationValidUntil delivery digest
  declaration { id personId placesVisited { province district } symptoms exposures
    address { district ward } phone declaredByOfficer delivery } } }"""

REPORT = """mutation($input: F0ReportInput!) { submitF0Report(input: $input) {
  id submittedAt delivery warnings severity
  alert { id personId district state warnings reportId }
  report { id personId spo2 pulse temperature respiratoryRate bloodPressure { systolic diastolic }
    symptoms warnings severity reportedByOfficer delivery } } }"""

FAST = OutboxSettings(poll_interval=0.05, retry_min=0.05, retry_max=0.2, lease=5.0)


def declaration(**changes: Any) -> dict[str, Any]:
    """A valid HealthDeclarationInput, with `changes` applied."""
    return {
        "placesVisited": [{"province": "79", "district": "778"}, {"province": "01"}],
        "symptoms": ["COUGH"],
        "exposures": [],
        "address": {"district": "778", "ward": "Phường Tân Phong"},
        "phone": "0901234567",
        **changes,
    }


def report(**changes: Any) -> dict[str, Any]:
    """A valid, ROUTINE F0ReportInput, with `changes` applied."""
    return {
        "respiratoryRate": 16,
        "pulse": 80,
        "temperature": 37.2,
        "spo2": 98,
        "symptoms": ["FATIGUE"],
        **changes,
    }


@dataclass
class Gateway:
    """A gateway with its own data dir (its own outbox), and its outbox for inspection."""

    client: httpx.AsyncClient
    outbox: Outbox


@asynccontextmanager
async def open_gateway_with_outbox(
    transport: httpx.ASGITransport,
    data_dir: Path,
    outbox: OutboxSettings = FAST,
    database_url: str | None = None,
) -> AsyncIterator[Gateway]:
    settings = replace(
        gateway_settings(),
        data_dir=data_dir,
        outbox=outbox,
        database_url=database_url,
    )
    app = create_app(settings, transport=transport)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway"
        ) as client,
    ):
        yield Gateway(client, app.state.outbox)


async def records(mocks: MocksAdmin, mount: str) -> dict[str, Any]:
    """The mock's write records (`/<mount>/_admin/records`)."""
    response = await mocks.client.get(f"/{mount}/_admin/records")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def records_with_key(mocks: MocksAdmin, mount: str, key: str) -> list[dict[str, Any]]:
    """The mock's records written with one Idempotency-Key (the gateway's submission id)."""
    return [r for r in (await records(mocks, mount))["records"] if r["idempotencyKey"] == key]


async def reset_writes(mocks: MocksAdmin) -> None:
    """No faults on the write services, no lost answers (their records stay)."""
    for mount in ("declarations", "f0"):
        (await mocks.client.delete(f"/{mount}/_admin/faults")).raise_for_status()
        (await mocks.client.delete(f"/{mount}/_admin/writes")).raise_for_status()


async def drained(outbox: Outbox, seconds: float = 10.0) -> None:
    """Wait until the outbox has delivered everything."""
    deadline = time.monotonic() + seconds
    while await outbox.store.pending_count():
        assert time.monotonic() < deadline, "the outbox did not drain in time"
        await asyncio.sleep(0.05)


async def stored(gateway: Gateway, kind: Kind) -> int:
    """How many submissions of `kind` the gateway's outbox holds, delivered or not."""
    people = [f"P{i:07d}" for i in range(1, 41)] + ["P9999999"]
    found = await gateway.outbox.store.submissions_of(kind, people)
    return sum(len(rows) for rows in found.values())
