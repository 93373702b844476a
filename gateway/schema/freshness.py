"""Says in the response when a stale cached answer stood in for a failing upstream."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension


class StaleAnswersExtension(SchemaExtension):
    """Adds `extensions.stale: {source: [person ids]}` when stale-if-error answers were served."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        stale = getattr(getattr(context, "budget", None), "stale", None)
        if not stale:
            return {}
        by_source: dict[str, list[str]] = {}
        for source, person_id in sorted(stale):
            by_source.setdefault(source, []).append(person_id)
        return {"stale": by_source}
