"""The network under the upstream clients: httpx's API over aiohttp's connection pool.

Every upstream call is made through `httpx.AsyncClient`; what sends the bytes is
`httpx_aiohttp.AiohttpTransport` (aiohttp's C-accelerated HTTP/1.1 on asyncio) instead of
httpx's default httpcore + anyio + h11, which cost about twice the CPU per request here, one
request after another while a status waits for five of them (README, Performance). Two things
are added to it:

- whatever aiohttp raises that httpx-aiohttp does not map becomes an `httpx.TransportError`, so
  the sources' retries, circuit breakers and `UPSTREAM_UNAVAILABLE` see every network failure as
  they did before;
- no cookie jar anywhere: a server-to-server client must not carry one upstream answer's
  `Set-Cookie` into the next caller's request (and httpx's jar cost a fifth of a request).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# Idle connections are dropped before common servers' keep-alive ends (uvicorn: 5 s), so a
# request seldom goes out on a connection the server is closing.
KEEPALIVE_SECONDS = 4.0


class UpstreamTransport(AiohttpTransport):
    """`AiohttpTransport` on a cookie-less session, raising only httpx's exceptions."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._max_connections = limits.max_connections or 100
        super().__init__(limits=limits, client=self._session)

    def _session(self) -> aiohttp.ClientSession:
        # Made on the first request, inside the running loop, as aiohttp requires.
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, keepalive_timeout=KEEPALIVE_SECONDS
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except (aiohttp.ClientError, httpx.TransportError) as error:
            # httpx-aiohttp maps by the first matching base class (a refused connection comes
            # out as ConnectTimeout) and leaves some errors unmapped: name each one precisely.
            cause = error.__cause__ if isinstance(error, httpx.TransportError) else error
            precise = next((e for c, e in _PRECISE if isinstance(cause, c)), None)
            if precise is None:
                raise
            raise precise(str(cause), request=request) from cause


# aiohttp's error → httpx's, most specific first (the order matters: they are subclasses).
_PRECISE: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientError, httpx.RemoteProtocolError),
)


class _NoCookies(httpx.Cookies):
    """An empty jar that keeps nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class UpstreamClient(httpx.AsyncClient):
    """`httpx.AsyncClient` without a cookie jar (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("cookies"):
            raise ValueError("An upstream client keeps no cookies.")
        super().__init__(**kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise ValueError("An upstream client keeps no cookies.")


_NO_COOKIES = _NoCookies()
