"""What an operation selects under a field, as dotted paths: fetch only what will be read.

`selected_paths(info)` of the `workers` field of `{ workers { edges { node { id status { color
} } } } }` is {"edges", "edges.node", "edges.node.id", "edges.node.status",
"edges.node.status.color"}; fragments are looked through.
"""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry.types.nodes import SelectedField, Selection


def _walk(selections: Iterable[Selection], prefix: str, into: set[str]) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            path = f"{prefix}{selection.name}"
            into.add(path)
            _walk(selection.selections, f"{path}.", into)
        else:  # a fragment spread or an inline fragment: its fields are the field's own
            _walk(selection.selections, prefix, into)


def selected_paths(info: strawberry.Info) -> frozenset[str]:
    """Every path selected under the field being resolved."""
    found: set[str] = set()
    for field in info.selected_fields:
        _walk(field.selections, "", found)
    return frozenset(found)
