"""The national personal-QR registry: QR ids (issue, re-issue, look up) and SMS codes.

Look-ups by QR id are cached for the source's `cache_ttl` (QR_REGISTRY_CACHE_TTL, 30 s): that is
the bound within which a revocation made elsewhere takes effect here. A re-issue through this
gateway drops the cached entries of the person and of the revoked QR at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from aiocache.base import BaseCache

from gateway.errors import NotFound, UpstreamUnavailable
from gateway.settings import SourceSettings
from gateway.sources.rest import RestSource, expect_dict, segment

# The registry's SMS codes: 10 symbols of Crockford's base32 (no I, L, O, U), ~50 bits.
SMS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SMS_CODE_LENGTH = 10


@dataclass(frozen=True, slots=True)
class QrRecord:
    """One QR id as the registry knows it."""

    qr_id: str
    person_id: str
    active: bool
    issued_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QrRecord:
        return cls(
            qr_id=str(data["qrId"]),
            person_id=str(data["personId"]),
            active=data["status"] == "active",
            issued_at=datetime.fromisoformat(data["issuedAt"]),
        )


@dataclass(frozen=True, slots=True)
class SmsCodeRecord:
    """One SMS code as the registry knows it."""

    code: str
    person_id: str
    active: bool
    expires_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SmsCodeRecord:
        return cls(
            code=str(data["code"]),
            person_id=str(data["personId"]),
            active=data["status"] == "active",
            expires_at=datetime.fromisoformat(data["expiresAt"]),
        )


class QrRegistrySource(RestSource):
    """The registry's endpoints, with look-ups cached briefly."""

    name = "qr_registry"

    def __init__(self, client: httpx.AsyncClient, settings: SourceSettings, cache: BaseCache):
        super().__init__(client)
        self.settings = settings
        self._cache = cache
        self._peek = getattr(cache, "peek", None)  # a memory cache answers at once
        self._lookups: dict[str, asyncio.Task[QrRecord | None]] = {}  # single flight

    @staticmethod
    def _by_id(qr_id: str) -> str:
        return f"qr_registry:id:{qr_id}"

    @staticmethod
    def _by_person(person_id: str) -> str:
        return f"qr_registry:person:{person_id}"

    async def ensure_many(self, ids: Sequence[str]) -> list[QrRecord | BaseException | None]:
        """Each person's active QR (issued where missing), None for an unknown person."""
        try:
            records = await self._ensure(list(dict.fromkeys(ids)))
        except UpstreamUnavailable as error:
            return [error for _ in ids]
        return [records.get(pid) for pid in ids]

    async def _ensure(self, ids: list[str]) -> dict[str, QrRecord]:
        cached = await self._cache.multi_get([self._by_person(pid) for pid in ids])
        found = {pid: entry for pid, entry in zip(ids, cached, strict=True) if entry is not None}
        missing = [pid for pid in ids if pid not in found]
        if missing:
            answer = expect_dict(
                await self.call("POST", "/codes/ensure", json={"personIds": missing}),
                self.name,
                "codes",
            )
            fetched = [QrRecord.from_json(item) for item in answer["codes"]]
            found.update((record.person_id, record) for record in fetched)
            pairs = [(self._by_person(record.person_id), record) for record in fetched]
            if pairs and self.settings.cache_ttl > 0:
                await self._cache.multi_set(pairs, ttl=self.settings.cache_ttl)
        return found

    async def reissue(self, person_id: str) -> QrRecord:
        """A new QR for the person; the previous one is revoked and forgotten here at once."""
        answer = await self.call(
            "POST", "/codes/reissue", json={"personId": person_id}, missing_ok=True
        )
        if answer is None:
            raise NotFound("No person has this id.")
        answer = expect_dict(answer, self.name, "issued", "revoked")
        record = QrRecord.from_json(answer["issued"])
        if answer["revoked"]:
            await self._cache.delete(self._by_id(str(answer["revoked"]["qrId"])))
        await self._cache.delete(self._by_person(person_id))
        return record

    async def lookup(self, qr_id: str) -> QrRecord | None:
        """The QR with this id (active or revoked), or None when the registry never issued it.

        Scans of one QR that miss the cache together wait for one registry request."""
        key = self._by_id(qr_id)
        if self._peek is not None:
            cached = self._peek(key)
        else:
            cached = await self._cache.get(key)
        if cached is not None:
            return cached if isinstance(cached, QrRecord) else None
        task = self._lookups.get(qr_id)
        if task is None:  # a task of its own: a caller that goes away strands no other
            task = self._lookups[qr_id] = asyncio.create_task(self._fetch(qr_id, key))
            task.add_done_callback(lambda done: self._forget_lookup(qr_id, done))
        return await asyncio.shield(task)

    def _forget_lookup(self, qr_id: str, done: asyncio.Task[QrRecord | None]) -> None:
        if self._lookups.get(qr_id) is done:
            del self._lookups[qr_id]
        if not done.cancelled():
            done.exception()  # retrieved here: the waiters, if any, raise it

    async def _fetch(self, qr_id: str, key: str) -> QrRecord | None:
        answer = await self.call("GET", f"/codes/{segment(qr_id)}", missing_ok=True)
        record = QrRecord.from_json(expect_dict(answer, self.name, "qrId")) if answer else None
        if self.settings.cache_ttl > 0:
            # An unknown id is cached too (as False): a replayed forgery costs no upstream call.
            await self._cache.set(key, record or False, ttl=self.settings.cache_ttl)
        return record

    async def issue_sms_code(self, person_id: str) -> SmsCodeRecord:
        """A new SMS code for the person; the previous one is revoked."""
        answer = await self.call(
            "POST", "/sms-codes", json={"personId": person_id}, missing_ok=True
        )
        if answer is None:
            raise NotFound("No person has this id.")
        return SmsCodeRecord.from_json(expect_dict(answer, self.name, "code"))

    async def resolve_sms_code(self, code: str) -> SmsCodeRecord | None:
        """The code's record, or None when no such code was ever issued (never cached)."""
        answer = await self.call("GET", f"/sms-codes/{segment(code)}", missing_ok=True)
        return SmsCodeRecord.from_json(expect_dict(answer, self.name, "code")) if answer else None
