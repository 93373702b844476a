"""One Starlette app serving every mocked national service, one mount per service."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from mocks import (
    checkins,
    declarations,
    f0_care,
    identity,
    idp,
    lab_results,
    qr_registry,
    sms,
    vaccination,
    workforce,
)
from mocks.common import ORJSONResponse
from mocks.keys import load_signing_key
from mocks.knobs import ServiceRuntime
from mocks.seed import dataset_for
from mocks.service import ServiceContext
from mocks.service_auth import ServiceTokenVerifier
from mocks.settings import MockSettings

# Mount name (also the service's name in MOCK_<SERVICE>_* variables) -> sub-app factory.
SERVICES: dict[str, Callable[[ServiceContext], Starlette]] = {
    "idp": idp.create_app,
    "identity": identity.create_app,
    "vaccination": vaccination.create_app,
    "lab": lab_results.create_app,
    "f0": f0_care.create_app,
    "declarations": declarations.create_app,
    "workforce": workforce.create_app,
    "sms": sms.create_app,
    "qr": qr_registry.create_app,
    "checkins": checkins.create_app,
}


def create_app(settings: MockSettings | None = None) -> Starlette:
    """The mocks' ASGI app. The data set is cached per (seed, people, reference); knobs and
    statistics are new for every app, so tests can build one per test cheaply."""
    settings = settings or MockSettings.from_env()
    dataset = dataset_for(settings)
    key = load_signing_key(settings.idp_key_file)
    verifier = ServiceTokenVerifier(key, settings.issuer)
    mounts = []
    for name, factory in SERVICES.items():
        runtime = ServiceRuntime(name, settings.faults_for(name), settings.slow_seconds)
        ctx = ServiceContext(settings, dataset, key, verifier, runtime)
        mounts.append(Mount(f"/{name}", app=factory(ctx)))

    async def index(request: Request) -> Response:
        return ORJSONResponse({
            "services": {name: f"/{name}/openapi.json" for name in SERVICES},
            "people": len(dataset),
            "referenceTime": dataset.reference.isoformat(),
        })

    return Starlette(routes=[Route("/", index), *mounts])
