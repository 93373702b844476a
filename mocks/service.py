"""What every mocked service shares: `openapi.json`, `healthz`, the admin knobs, the middleware."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mocks.common import BadRequest, FHIRResponse, ORJSONResponse, error_json
from mocks.knobs import FaultsMiddleware, ServiceRuntime, admin_routes
from mocks.model import DataSet
from mocks.service_auth import ServiceAuthMiddleware, ServiceTokenVerifier
from mocks.settings import MockSettings


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What a service module needs to build its app; `runtime` is its own."""

    settings: MockSettings
    dataset: DataSet
    key: ECKey
    verifier: ServiceTokenVerifier
    runtime: ServiceRuntime


def service_app(
    ctx: ServiceContext,
    routes: Sequence[BaseRoute],
    spec: Mapping[str, Any],
    *,
    fhir: bool = False,
    authenticated: bool = True,
) -> Starlette:
    """A service's sub-app: its routes plus `openapi.json`, `healthz` and `/_admin/*`."""
    name = ctx.runtime.name

    async def openapi(request: Request) -> Response:
        return ORJSONResponse(spec)

    async def healthz(request: Request) -> Response:
        return ORJSONResponse({"status": "ok", "service": name})

    middleware = [Middleware(FaultsMiddleware, runtime=ctx.runtime)]
    if authenticated:
        middleware.append(Middleware(ServiceAuthMiddleware, verifier=ctx.verifier))
    common = [Route("/openapi.json", openapi), Route("/healthz", healthz)]
    all_routes = [*common, *admin_routes(ctx.runtime), *routes]
    handlers = _FHIR_HANDLERS if fhir else _JSON_HANDLERS
    return Starlette(routes=all_routes, middleware=middleware, exception_handlers=handlers)


def operation_outcome(status: int, code: str, diagnostics: str) -> FHIRResponse:
    """A FHIR OperationOutcome with one error issue."""
    issue = {"severity": "error", "code": code, "diagnostics": diagnostics}
    return FHIRResponse({"resourceType": "OperationOutcome", "issue": [issue]}, status_code=status)


_HTTP_ERRORS = {404: ("not_found", "not-found"), 405: ("method_not_allowed", "not-supported")}


def _status(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, BadRequest):
        return 400, exc.message
    if isinstance(exc, HTTPException):
        return exc.status_code, exc.detail
    return 500, "Unexpected error."


async def _json_error(request: Request, exc: Exception) -> Response:
    status, message = _status(exc)
    code = "invalid_request" if status == 400 else _HTTP_ERRORS.get(status, ("error", ""))[0]
    return error_json(status, code, message)


async def _fhir_error(request: Request, exc: Exception) -> Response:
    status, message = _status(exc)
    code = "invalid" if status == 400 else _HTTP_ERRORS.get(status, ("", "exception"))[1]
    return operation_outcome(status, code, message)


_JSON_HANDLERS = {BadRequest: _json_error, HTTPException: _json_error}
_FHIR_HANDLERS = {BadRequest: _fhir_error, HTTPException: _fhir_error}
