"""The gateway's error hierarchy.

Every error a client may see is a `GatewayError` with a `code` from CONTRACT.md §6:

    GatewayError
    ├── Unauthenticated      UNAUTHENTICATED   (HTTP 401)
    ├── Forbidden            FORBIDDEN
    ├── NotFound             NOT_FOUND
    ├── BadUserInput         BAD_USER_INPUT    (names the field in extensions.field)
    ├── InvalidQr            INVALID_QR
    ├── UpstreamUnavailable  UPSTREAM_UNAVAILABLE
    ├── RateLimited          RATE_LIMITED
    └── QueryTooComplex      QUERY_TOO_COMPLEX

Anything else raised while resolving is masked as "Unexpected error." and logged.
Messages are full sentences and never carry upstream URLs, headers or bodies.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """An error whose message and code are safe to show to the client."""

    code: ClassVar[str] = "INTERNAL"
    default_message: ClassVar[str] = "The request failed."

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"
    default_message = "A valid bearer token is required."


class Forbidden(GatewayError):
    code = "FORBIDDEN"
    default_message = "You are not allowed to read this."


class NotFound(GatewayError):
    code = "NOT_FOUND"
    default_message = "Nothing was found."


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"
    default_message = "The input is not valid."

    def __init__(self, message: str, *, field: str, **extensions: Any) -> None:
        super().__init__(message, field=field, **extensions)


class InvalidQr(GatewayError):
    code = "INVALID_QR"
    default_message = "The QR code is not valid."


class UpstreamUnavailable(GatewayError):
    code = "UPSTREAM_UNAVAILABLE"

    def __init__(self, source: str, message: str | None = None) -> None:
        super().__init__(message or f"The {source} service is unavailable.", source=source)
        self.source = source


class RateLimited(GatewayError):
    code = "RATE_LIMITED"
    default_message = "Too many requests; try again later."


class QueryTooComplex(GatewayError):
    code = "QUERY_TOO_COMPLEX"
    default_message = "The query is too complex."
