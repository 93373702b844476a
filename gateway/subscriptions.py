"""GraphQL over WebSocket (graphql-transport-ws): authentication and text frames.

A websocket authenticates like an HTTP request, with the user's bearer token, given either as the
handshake's `Authorization` header (servers and native clients) or in the `connection_init`
payload as `{"Authorization": "Bearer <token>"}` (browsers cannot set handshake headers). A bad
header token refuses the handshake; a missing or bad payload token closes the socket with 4403
before `connection_ack`, so no operation ever runs unauthenticated: Strawberry closes a socket that
subscribes before the ack (4401).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected

from gateway.auth import Principal, Role, TokenVerifier
from gateway.context import Context
from gateway.errors import Unauthenticated

# The principal of a socket between its handshake and its connection_init. Nothing runs as it:
# operations wait for the ack, which only an authenticated connection_init gets.
NOT_YET_AUTHENTICATED = Principal(subject="", role=Role.CITIZEN)


class TextFramesAdapter(ASGIWebSocketAdapter):
    """Sends protocol messages as text frames (our JSON encoder yields bytes, which Strawberry
    would send as binary frames; graphql-transport-ws clients expect text)."""

    async def send_json(self, message: Any) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


async def authenticate_connection(verifier: TokenVerifier, context: Context) -> None:
    """At connection_init: authenticate from the payload unless the handshake already did."""
    if context.principal is not NOT_YET_AUTHENTICATED:
        return
    params = context.connection_params or {}
    token = params.get("Authorization") or params.get("authorization")
    try:
        context.principal = await verifier.authenticate(token if isinstance(token, str) else None)
    except Unauthenticated as error:
        raise ConnectionRejectionError({"message": error.message, "code": error.code}) from None


class GraphQLWebSocketEndpoint:
    """The websocket side of /graphql: a header token is checked at once, else at init."""

    def __init__(self, app: Starlette, graphql: GraphQL[Any, None]) -> None:
        self._app = app
        self._graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        principal = NOT_YET_AUTHENTICATED
        header = websocket.headers.get("authorization")
        if header is not None:
            try:
                principal = await self._app.state.verifier.authenticate(header)
            except Unauthenticated:
                await websocket.close(code=4401, reason="Unauthorized")
                return
        scope.setdefault("state", {})["principal"] = principal
        await self._graphql(scope, receive, send)
