"""Check-ins travel in batches: a rush of scans costs the check-in log a few requests, not one
per scan, and every scan still lands exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tests.checkpoint_support import MY_QR, SCAN, reset, residents
from tests.support import MocksAdmin, gql

SCANS = 30


async def test_a_rush_of_scans_is_recorded_in_a_few_batches_each_scan_once(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    person = (await residents(mocks, "778", 1, start=161))[0]
    _, mine = await gql(client, MY_QR, token=token("citizen", person_id=person["id"]))
    payload = mine["data"]["me"]["qr"]["payload"]
    await reset(mocks, "checkins")
    # A slow log: scans arriving while a batch is on its way must wait for the next one.
    await mocks.set_faults("checkins", latencyMs=300)
    checkpoint = token("checkpoint", district="778", sub="CP-778-RUSH")
    try:
        answers = await asyncio.gather(
            *(gql(client, SCAN, {"qr": payload}, token=checkpoint) for _ in range(SCANS))
        )
        requests = await _requests_until(mocks, SCANS)
    finally:
        await reset(mocks, "checkins")

    assert [body.get("errors") for _, body in answers] == [None] * SCANS
    assert sum(r["ids"] for r in requests) == SCANS
    assert {r["path"] for r in requests} == {"/checkins/checkins/batch"}
    # At most two batches are on their way at once; the rest wait and leave together.
    assert len(requests) <= 4
    landed = await mocks.get("/checkins/checkins", checkpointId="CP-778-RUSH")
    assert [c["personId"] for c in landed["checkIns"]] == [person["id"]] * SCANS


async def test_a_batch_with_one_bad_check_in_keeps_none(mocks: MocksAdmin) -> None:
    good = {
        "personId": "P0000001",
        "checkpointId": "CP-778-BATCH",
        "role": "checkpoint",
        "district": "778",
        "scannedAt": "2021-10-01T09:00:00+07:00",
    }
    headers = {"Authorization": f"Bearer {await mocks.service_token()}"}

    refused = await mocks.client.post(
        "/checkins/checkins/batch",
        json={"checkIns": [good, {**good, "role": "citizen"}]},
        headers=headers,
    )
    kept = await mocks.get("/checkins/checkins", checkpointId="CP-778-BATCH")

    assert refused.status_code == 400
    assert kept == {"checkIns": []}


async def _requests_until(mocks: MocksAdmin, ids: int) -> list[dict[str, Any]]:
    """The check-in log's requests, once they carry `ids` check-ins (sending is asynchronous)."""
    for _ in range(100):
        requests = await mocks.requests("checkins")
        if sum(r["ids"] for r in requests) >= ids:
            return requests
        await asyncio.sleep(0.05)
    raise AssertionError(f"the check-in log got {requests}")
