"""The upstreams' change feeds: what changed, in order, after a cursor the follower keeps.

Every followed service answers `GET <feed>?after=<cursor>` with its changes since that cursor and
the cursor to send next (`docs/upstreams.md`). A cursor from an earlier run of the service is
answered from the start of its current history with `reset` set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gateway.sources.rest import RestSource, expect_dict
from gateway.sources.workforce import ListState, upstream_shape

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ListChange:
    """An entry of the workforce registry's feed: a list's new state."""

    list_id: str
    enterprise_id: str
    state: ListState


@dataclass(frozen=True, slots=True)
class FeedPage(Generic[T]):
    """One read of a feed."""

    changes: list[T]
    cursor: str  # what to send as `after` next time
    more: bool  # more changes wait after this page
    reset: bool  # the cursor sent was of another history: this page starts over


class ChangeFeeds(RestSource):
    """Reads any service's change feed by its absolute URL."""

    name = "change_feeds"

    async def person_changes(self, url: str, cursor: str | None) -> FeedPage[str]:
        """The person ids whose records changed (a health service's feed)."""
        answer = await self._page(url, cursor)
        with upstream_shape(self.name):
            changes = [str(c["personId"]) for c in answer["changes"]]
        return FeedPage(
            changes, str(answer["next"]), bool(answer["hasMore"]), bool(answer.get("reset"))
        )

    async def list_changes(self, url: str, cursor: str | None) -> FeedPage[ListChange]:
        """The lists whose state changed (the workforce registry's feed)."""
        answer = await self._page(url, cursor)
        with upstream_shape(self.name):
            changes = [
                ListChange(str(c["listId"]), str(c["enterpriseId"]), ListState(c["state"]))
                for c in answer["changes"]
            ]
        return FeedPage(
            changes, str(answer["next"]), bool(answer["hasMore"]), bool(answer.get("reset"))
        )

    async def _page(self, url: str, cursor: str | None) -> dict[str, Any]:
        params = {"after": cursor} if cursor else None
        answer = await self.call("GET", url, params=params)
        return expect_dict(answer, self.name, "changes", "next", "hasMore")
