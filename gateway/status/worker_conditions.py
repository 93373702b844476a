"""Which statuses meet a district's condition for workers on an approved list (policy as data).

The conditions are a JSON file (`worker_conditions.json` beside this module, or the file
`WORKER_CONDITIONS_FILE` names): a default and per-district overrides, each a list of clauses.
A status meets a clause when it has the clause's colour and every reason the clause names; it
meets the condition when it meets any clause. Pure: no I/O once loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from .facts import Color


class Graded(Protocol):
    """What a condition reads of a status: its colour and reason codes."""

    @property
    def color(self) -> Color: ...

    @property
    def reasons(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Clause:
    """A colour, and the reasons a status of that colour must also carry."""

    color: Color
    reasons: frozenset[str] = frozenset()

    def met_by(self, status: Graded) -> bool:
        return status.color is self.color and self.reasons <= set(status.reasons)

    def __str__(self) -> str:
        if not self.reasons:
            return self.color.value
        return f"{self.color.value} with {' and '.join(sorted(self.reasons))}"


@dataclass(frozen=True, slots=True)
class WorkerConditions:
    """The default condition and the districts' own."""

    default: tuple[Clause, ...]
    districts: Mapping[str, tuple[Clause, ...]]

    def of(self, district: str) -> tuple[Clause, ...]:
        """The clauses of a district's condition."""
        return self.districts.get(district, self.default)

    def met(self, district: str, status: Graded) -> bool:
        """Whether a worker with `status` meets the condition of `district`."""
        return any(clause.met_by(status) for clause in self.of(district))

    def describe(self, district: str) -> str:
        """The condition in words: 'GREEN, or YELLOW with RECENT_NEGATIVE_TEST'."""
        return ", or ".join(str(clause) for clause in self.of(district))


class InvalidConditionsError(ValueError):
    """The conditions file is not valid; the message says where."""


def _clauses(data: Any, where: str) -> tuple[Clause, ...]:
    if not isinstance(data, list) or not data:
        raise InvalidConditionsError(f"{where} must be a non-empty list of clauses.")
    clauses = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or set(item) - {"color", "reasons"}:
            raise InvalidConditionsError(f"{where}[{index}] must be {{color, reasons?}}.")
        try:
            color = Color(str(item.get("color")))
        except ValueError:
            raise InvalidConditionsError(f"{where}[{index}].color is not a colour.") from None
        reasons = item.get("reasons", [])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            raise InvalidConditionsError(f"{where}[{index}].reasons must be a list of codes.")
        clauses.append(Clause(color, frozenset(reasons)))
    return tuple(clauses)


def conditions_from_data(data: Any) -> WorkerConditions:
    """Conditions from the decoded JSON; InvalidConditionsError names what is wrong."""
    if not isinstance(data, dict):
        raise InvalidConditionsError("The worker conditions must be a JSON object.")
    districts = data.get("districts", {})
    if not isinstance(districts, dict):
        raise InvalidConditionsError("districts must map district codes to clauses.")
    return WorkerConditions(
        default=_clauses(data.get("default"), "default"),
        districts={code: _clauses(c, f"districts.{code}") for code, c in districts.items()},
    )


def load_worker_conditions(path: Path | None = None) -> WorkerConditions:
    """The conditions of `path`, or the shipped ones."""
    if path is None:
        text = resources.files(__package__).joinpath("worker_conditions.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return conditions_from_data(json.loads(text))
