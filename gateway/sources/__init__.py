"""The national services the gateway federates, one pooled httpx client each (over aiohttp's
connection pool: `network.py`).

`open_upstreams` is entered once, in the application's lifespan. Tests pass
`transport=httpx.ASGITransport(app=mocks_app)` to reach the mocks in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from aiocache.base import BaseCache
from opentelemetry.sdk.trace import TracerProvider

from gateway import tracing
from gateway.outbox import Destination, Kind
from gateway.settings import Resilience, Settings, SourceSettings
from gateway.sources.changes import ChangeFeeds
from gateway.sources.checkins import CheckInsSource
from gateway.sources.declarations import DeclarationsSource, LatestDeclarationSource
from gateway.sources.f0_care import F0CareSource, F0ReportsSource
from gateway.sources.identity import IdentitySource
from gateway.sources.lab_results import LabResultsSource
from gateway.sources.metered import MeteredTransport
from gateway.sources.network import UpstreamClient, UpstreamTransport
from gateway.sources.qr_registry import QrRegistrySource
from gateway.sources.service_auth import ServiceAuth, ServiceTokenProvider, oauth_client
from gateway.sources.sms import SmsSource
from gateway.sources.vaccination import VaccinationSource
from gateway.sources.workforce import WorkforceSource

_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Every upstream client, opened once per process."""

    idp: httpx.AsyncClient
    identity: IdentitySource
    vaccination: VaccinationSource
    lab_results: LabResultsSource
    f0_care: F0CareSource
    qr_registry: QrRegistrySource
    sms: SmsSource
    checkins: CheckInsSource
    declarations: DeclarationsSource
    latest_declarations: LatestDeclarationSource
    f0_reports: F0ReportsSource
    workforce: WorkforceSource
    change_feeds: ChangeFeeds  # an authenticated client for every followed feed's absolute URL

    def destinations(self) -> dict[Kind, Destination]:
        """Where the outbox delivers each kind of submission, and what it then forgets."""

        async def forget_declarations(person_id: str) -> None:
            await self.declarations.invalidate(person_id)
            await self.latest_declarations.invalidate(person_id)

        return {
            Kind.DECLARATION: Destination(self.declarations.deliver, forget_declarations),
            Kind.F0_REPORT: Destination(self.f0_reports.deliver, self.f0_reports.invalidate),
        }


@asynccontextmanager
async def open_upstreams(
    settings: Settings,
    cache: BaseCache,
    transport: httpx.AsyncBaseTransport | None = None,
    tracer_provider: TracerProvider | None = None,
) -> AsyncIterator[Upstreams]:
    """Open the pooled clients (and the service-token provider); close them on exit.

    Each source's client is metered (latency, errors, the request id sent along) and, when
    `tracer_provider` is given, traced."""
    async with AsyncExitStack() as stack:
        idp = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, timeout=5.0, limits=_LIMITS)
        )
        tokens = ServiceTokenProvider(oauth_client(settings, transport), settings.idp_token_url)
        stack.push_async_callback(tokens.aclose)
        auth = ServiceAuth(tokens)

        def client(name: str) -> httpx.AsyncClient:
            source = settings.sources[name]
            inner = transport or UpstreamTransport(_LIMITS)
            opened = UpstreamClient(
                base_url=source.base_url,
                auth=auth,
                timeout=source.timeout,
                limits=_LIMITS,
                transport=MeteredTransport(inner, name),
            )
            tracing.instrument_client(opened, tracer_provider)
            return opened

        clients = {name: await stack.enter_async_context(client(name)) for name in settings.sources}

        def args(
            name: str,
        ) -> tuple[httpx.AsyncClient, SourceSettings, BaseCache, int, Resilience]:
            return clients[name], settings.sources[name], cache, settings.batch_size, resilience

        resilience = settings.resilience
        checkins = CheckInsSource(clients["checkins"])
        stack.push_async_callback(checkins.drain)  # check-ins in flight land before clients close

        yield Upstreams(
            idp=idp,
            identity=IdentitySource(*args("identity")),
            vaccination=VaccinationSource(*args("vaccination")),
            lab_results=LabResultsSource(*args("lab_results")),
            f0_care=F0CareSource(*args("f0_care")),
            qr_registry=QrRegistrySource(
                clients["qr_registry"], settings.sources["qr_registry"], cache
            ),
            sms=SmsSource(clients["sms"]),
            checkins=checkins,
            declarations=DeclarationsSource(*args("declarations")),
            latest_declarations=LatestDeclarationSource(*args("declarations")),
            f0_reports=F0ReportsSource(*args("f0_care")),
            workforce=WorkforceSource(clients["workforce"]),
            change_feeds=ChangeFeeds(clients["workforce"]),
        )
