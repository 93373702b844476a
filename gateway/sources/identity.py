"""The national population register: who a person is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from gateway.errors import UpstreamUnavailable
from gateway.sources.base import BatchSource, expect, log


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One resident as the population register knows them."""

    id: str
    full_name: str
    date_of_birth: date
    national_id: str
    phone: str
    district: str
    ward: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersonRecord:
        return cls(
            id=str(data["id"]),
            full_name=str(data["fullName"]),
            date_of_birth=date.fromisoformat(data["dateOfBirth"]),
            national_id=str(data["nationalId"]),
            phone=str(data["phone"]),
            district=str(data["district"]),
            ward=data.get("ward"),
        )


class IdentitySource(BatchSource[PersonRecord | None]):
    """Persons by id, many per request (`POST /persons/batch`); None for an unknown id."""

    name = "identity"

    async def fetch_batch(self, ids: Sequence[str]) -> dict[str, PersonRecord | None]:
        answer = await self.post_json("/persons/batch", {"ids": list(ids)})
        expect(isinstance(answer, dict) and isinstance(answer.get("persons"), list), "persons list")
        assert isinstance(answer, dict)
        found: dict[str, PersonRecord | None] = dict.fromkeys(ids)
        for item in answer["persons"]:
            record = PersonRecord.from_json(item)
            if record.id in found:
                found[record.id] = record
        return found

    async def lookup(
        self, national_ids: Sequence[str], phones: Sequence[str]
    ) -> list[PersonRecord]:
        """Everyone these national ids and phones name, in one call (`POST /persons/lookup`).

        A phone may name several people (a family's one phone). Not cached: it answers by keys
        the cache does not index. Failures are UPSTREAM_UNAVAILABLE.
        """
        try:
            answer = await self.post_json(
                "/persons/lookup", {"nationalIds": list(national_ids), "phones": list(phones)}
            )
            expect(isinstance(answer, dict) and isinstance(answer.get("persons"), list), "persons")
            assert isinstance(answer, dict)
            return [PersonRecord.from_json(item) for item in answer["persons"]]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            log.warning("upstream %s failed: %s: %s", self.name, type(error).__name__, error)
            raise UpstreamUnavailable(self.name) from error
