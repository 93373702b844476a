"""Constants and helpers shared by the mocks' tests (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import datetime

import httpx

from mocks.model import LOCAL_TZ
from mocks.settings import DEV_GATEWAY_CLIENT_SECRET, GATEWAY_CLIENT_ID

# A Friday morning of HCMC's October 2021 reopening: dates in the data read like the real story.
REFERENCE = datetime(2021, 10, 15, 9, 30, tzinfo=LOCAL_TZ)


async def service_token(client: httpx.AsyncClient) -> str:
    """A service token from the IdP's client-credentials endpoint."""
    response = await client.post(
        "/idp/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(GATEWAY_CLIENT_ID, DEV_GATEWAY_CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
