"""The first thing every request meets inside Starlette's error middleware: its request id, its
HTTP metrics and, for a GraphQL POST, the way straight to the GraphQL endpoint.

The id and the metrics were two middlewares, each wrapping `send`, and Starlette's exception
middleware and router then found the endpoint: ~15 µs of a 70 µs warm scan in process (README,
Performance). A POST to `/graphql`, nearly all the traffic, now goes from here to the endpoint
(which raises no `HTTPException` for the exception middleware to turn into a response, and takes
only POST and GET, so the router had nothing else to decide); an unexpected error still reaches
Starlette's error middleware (a 500, logged). Every other request goes the usual way.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import metrics, request_id

GRAPHQL_PATH = "/graphql"


class Front:
    """Request id and HTTP metrics for every request; POST /graphql straight to `graphql`."""

    def __init__(self, app: ASGIApp, routes: frozenset[str], graphql: ASGIApp) -> None:
        self.app = app
        self.routes = routes  # the known paths: metrics label anything else `other`
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        chosen = request_id.chosen_id(scope)
        token = request_id.current.set(chosen)
        try:
            if kind == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, chosen.encode("ascii"))
        finally:
            request_id.current.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, chosen: bytes) -> None:
        path = scope["path"]
        route = path if path in self.routes else "other"
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                message["headers"] = [
                    *(h for h in headers if h[0].lower() != request_id.HEADER_KEY),
                    (request_id.HEADER_KEY, chosen),
                ]
            await send(message)

        try:
            if path == GRAPHQL_PATH and scope["method"] == "POST" and not scope.get("root_path"):
                scope["endpoint"], scope["path_params"] = self.graphql, {}  # as the router sets
                await self.graphql(scope, receive, sending)
            else:
                await self.app(scope, receive, sending)
        finally:
            metrics.observe_http(route, status, started)
