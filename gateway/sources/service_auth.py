"""Service-to-service bearer tokens from the IdP's OAuth2 client-credentials endpoint.

One token is shared by every upstream client and reused until shortly before it expires;
authlib's httpx OAuth2 client speaks the token endpoint.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncGenerator

import authlib.deprecate  # noqa: F401  (installs authlib's warning filter first: ours must win)
import httpx

with warnings.catch_warnings():
    # Authlib announces a move to the httpx2 fork; httpx stays our stack (DEVELOPERS.md) and
    # authlib still supports it, so its import-time notice is silenced here, in one place.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from gateway.settings import Settings

# Refresh this long before expiry so a token never expires in flight.
_EXPIRY_MARGIN_SECONDS = 60.0


class ServiceTokenProvider:
    """Fetches and reuses the gateway's own access token."""

    def __init__(self, oauth: AsyncOAuth2Client, token_url: str) -> None:
        self._oauth = oauth
        self._token_url = token_url
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self, *, renew: bool = False) -> str:
        """A valid access token; `renew` forces a new one (after the upstream refused ours)."""
        if self._token and not renew and time.monotonic() < self._expires_at:
            return self._token
        async with self._lock:
            if self._token and not renew and time.monotonic() < self._expires_at:
                return self._token
            fetched = await self._oauth.fetch_token(
                self._token_url, grant_type="client_credentials"
            )
            self._token = str(fetched["access_token"])
            lifetime = float(fetched.get("expires_in", 300))
            self._expires_at = time.monotonic() + max(lifetime - _EXPIRY_MARGIN_SECONDS, 1.0)
            return self._token

    async def aclose(self) -> None:
        await self._oauth.aclose()


def oauth_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncOAuth2Client:
    """authlib's OAuth2 client for the gateway's own account at the IdP."""
    return AsyncOAuth2Client(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        transport=transport,
        timeout=5.0,
    )


class ServiceAuth(httpx.Auth):
    """httpx auth flow: attach the service token; on 401 fetch a new one and retry once."""

    def __init__(self, provider: ServiceTokenProvider) -> None:
        self._provider = provider

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {await self._provider.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {await self._provider.token(renew=True)}"
            yield request
