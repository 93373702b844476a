"""Says in the response when a stale cached answer stood in for a failing upstream."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.extensions import SchemaExtension


class StaleAnswersExtension(SchemaExtension):
    """Adds `extensions.stale: {source: [person ids]}` when stale-if-error answers were served."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        return stale_answers(getattr(getattr(context, "budget", None), "stale", None) or ())


def stale_answers(stale: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The response's extensions for these (source, person id) stale answers; {} for none."""
    by_source: dict[str, list[str]] = {}
    for source, person_id in sorted(stale):
        by_source.setdefault(source, []).append(person_id)
    return {"stale": by_source} if by_source else {}
