"""The passport service of one gateway process: its signer, the trust list and revocations.

Built once at start (`create_dcc`); a trust list given as a URL is fetched in the lifespan and,
like the trust and revocation files, read again every `DCC_REFRESH_INTERVAL` seconds
(`refreshing`). A refresh that fails keeps what was read before and is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from gateway.dcc.keys import Signer, signer_for
from gateway.dcc.trust import (
    TrustedCertificate,
    TrustList,
    TrustListError,
    load_trust_list,
    read_revocation_list,
    read_trust_file,
)
from gateway.dcc.verify import Verification, verify
from gateway.settings import DccSettings, Settings

log = logging.getLogger(__name__)


def _is_url(source: str | None) -> bool:
    return source is not None and source.startswith(("http://", "https://"))


@dataclass(slots=True)
class Dcc:
    """Issue and verify vaccine passports (EU DCC)."""

    config: DccSettings
    signer: Signer | None
    own: tuple[TrustedCertificate, ...]
    configured: TrustList = field(default_factory=TrustList)
    revoked: frozenset[str] = frozenset()
    trust: TrustList = field(init=False)

    def __post_init__(self) -> None:
        self.trust = TrustList.of(self.own).merged(self.configured)

    def verify(self, text: str, at: datetime) -> Verification:
        """Verify a scanned passport against the trust list and revocations at `at`."""
        return verify(text, self.trust, at, self.revoked)

    def published(self) -> tuple[TrustedCertificate, ...]:
        """What `GET /dcc/trust-list` publishes: the gateway's own signing certificate."""
        return self.own

    def replace_lists(self, configured: TrustList, revoked: frozenset[str]) -> None:
        self.configured, self.revoked = configured, revoked
        self.trust = TrustList.of(self.own).merged(configured)

    async def refresh(self, client: httpx.AsyncClient) -> None:
        """Read the trust and revocation lists again; keep the old ones on failure."""
        source, revocations = self.config.trust_list, self.config.revocation_list
        try:
            configured = await load_trust_list(source, client) if source else TrustList()
            revoked = read_revocation_list(revocations) if revocations else frozenset()
        except TrustListError as error:
            log.error("Vaccine passport lists not refreshed, the previous ones stand: %s", error)
            return
        self.replace_lists(configured, revoked)


def create_dcc(settings: Settings) -> Dcc:
    """The service at start: the signer, and the trust and revocation files read now (a URL
    trust list is fetched by `refreshing`). Unreadable files stop the start."""
    config = settings.dcc
    signer = signer_for(settings)
    own = (TrustedCertificate.of(signer.certificate, config.country),) if signer is not None else ()
    source = config.trust_list
    configured = read_trust_file(Path(source)) if source and not _is_url(source) else TrustList()
    revoked = read_revocation_list(config.revocation_list) if config.revocation_list else None
    return Dcc(config, signer, own, configured, revoked or frozenset())


@contextlib.asynccontextmanager
async def refreshing(
    dcc: Dcc, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[None]:
    """In the lifespan: fetch a URL trust list now, then refresh every list periodically."""
    interval = dcc.config.refresh_interval
    wanted = dcc.config.trust_list is not None or dcc.config.revocation_list is not None
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        if _is_url(dcc.config.trust_list):
            await dcc.refresh(client)
        task = None
        if wanted and interval > 0:
            task = asyncio.create_task(_every(interval, dcc, client), name="dcc-refresh")
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _every(interval: float, dcc: Dcc, client: httpx.AsyncClient) -> None:
    while True:
        await asyncio.sleep(interval)
        await dcc.refresh(client)
