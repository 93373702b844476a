"""Status policies: versioned JSON files in `policies/`, loaded and validated once.

A city adds a variant by writing `policies/<name>.json`; `load_policy` checks it
(unknown kind, colour, parameter or key is a clear `InvalidPolicyError`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .facts import Color, TestKind
from .rules import KINDS, Check, Params

DEFAULT_POLICY: Final = "hcmc-2021-10"
FORMAT: Final = 1  # layout of the policy files this code reads

_REASON = re.compile(r"[A-Z][A-Z0-9_]*")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
# Never GREEN without proof: a policy may not fall back to GREEN, nor answer it on missing data.
_FALLBACK_COLORS: Final = (Color.RED, Color.YELLOW)
_UNAVAILABLE_COLORS: Final = (Color.UNKNOWN, Color.RED)
_RULE_COLORS: Final = (Color.GREEN, Color.YELLOW, Color.RED)


class PolicyError(ValueError):
    """A status policy could not be used."""


class UnknownPolicyError(PolicyError):
    """No policy file has this name."""


class InvalidPolicyError(PolicyError):
    """A policy file breaks the format; the message names the place."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A fixed answer of the policy: the fallback, or the one for unreadable sources."""

    color: Color
    reason: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rule table, with its parameters already converted."""

    reason: str
    color: Color
    kind: str
    final: bool
    params: Params
    check: Check
    description: str


@dataclass(frozen=True)
class Policy:
    """A loaded status policy. Final rules come first in the table."""

    name: str
    version: int
    effective_from: dt.date
    description: str
    timezone: ZoneInfo
    required_doses: Mapping[str, int]
    final_rules: tuple[Rule, ...]
    graded_rules: tuple[Rule, ...]
    fallback: Outcome
    unavailable: Outcome

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The whole rule table, in order."""
        return self.final_rules + self.graded_rules

    @functools.cached_property
    def durations(self) -> tuple[dt.timedelta, ...]:
        """Zero and every duration a rule's parameters name (`stable_until` adds each to
        every instant of the facts)."""
        found = {dt.timedelta(0)}
        for rule in self.rules:
            found.update((rule.params.window, rule.params.matured_after, rule.params.valid_for))
        return tuple(sorted(found))


def available_policies() -> list[str]:
    """Names of the policy files shipped with the gateway, sorted."""
    return sorted(
        entry.name.removesuffix(".json")
        for entry in _policy_dir().iterdir()
        if entry.name.endswith(".json")
    )


@functools.cache
def load_policy(name: str) -> Policy:
    """The policy file `name` (without `.json`), validated; cached per name."""
    # Checked against the listing, so a name can never point outside the folder.
    if name not in available_policies():
        raise UnknownPolicyError(
            f"There is no status policy named {name!r}; "
            f"available: {', '.join(available_policies())}."
        )
    policy = policy_from_json((_policy_dir() / f"{name}.json").read_text(encoding="utf-8"))
    if policy.name != name:
        raise InvalidPolicyError(f"Policy file {name}.json declares the name {policy.name!r}.")
    return policy


def policy_from_json(text: str) -> Policy:
    """Parse and validate the text of a policy file."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidPolicyError(f"A policy file is not valid JSON: {exc}.") from exc
    return policy_from_data(document)


def policy_from_data(document: object) -> Policy:
    """Validate a decoded policy document and build the `Policy`."""
    top = _Obj(document, "The policy", _TOP_KEYS)
    name = top.text("name", pattern=_NAME)
    where = f"Policy {name!r}"
    top.where = where
    if (fmt := top.integer("format")) != FORMAT:
        raise InvalidPolicyError(f"{where} has format {fmt}; this gateway reads format {FORMAT}.")
    required = _required_doses(top.get("requiredDoses"), f"{where} requiredDoses")
    rules = _rules(top.get("rules"), where, required)
    finals = tuple(r for r in rules if r.final)
    if any(r.final for r in rules[len(finals) :]):
        raise InvalidPolicyError(f"{where} must list its final rules before all other rules.")
    return Policy(
        name=name,
        version=top.integer("version", minimum=1),
        effective_from=_date(top.text("effectiveFrom"), f"{where} effectiveFrom"),
        description=top.text("description"),
        timezone=_zone(top.text("timeZone"), f"{where} timeZone"),
        required_doses=required,
        final_rules=finals,
        graded_rules=rules[len(finals) :],
        fallback=_outcome(top.get("fallback"), f"{where} fallback", _FALLBACK_COLORS),
        unavailable=_outcome(top.get("unavailable"), f"{where} unavailable", _UNAVAILABLE_COLORS),
    )


_TOP_KEYS: Final = frozenset(
    {
        "format",
        "name",
        "version",
        "effectiveFrom",
        "description",
        "timeZone",
        "requiredDoses",
        "rules",
        "fallback",
        "unavailable",
    }
)
_RULE_KEYS: Final = frozenset({"reason", "color", "kind", "final", "params", "description"})
_OPTIONAL_RULE_KEYS: Final = frozenset({"final", "params", "description"})


def _policy_dir() -> resources.abc.Traversable:
    return resources.files(__package__) / "policies"


class _Obj:
    """A JSON object being validated; errors name `where` and the key."""

    def __init__(
        self,
        data: object,
        where: str,
        keys: frozenset[str],
        optional: frozenset[str] = frozenset(),
    ) -> None:
        if not isinstance(data, dict):
            raise InvalidPolicyError(f"{where} must be a JSON object.")
        if unknown := sorted(set(data) - keys):
            raise InvalidPolicyError(f"{where} has unknown keys: {', '.join(unknown)}.")
        if missing := sorted(keys - optional - set(data)):
            raise InvalidPolicyError(f"{where} is missing keys: {', '.join(missing)}.")
        self.data: dict[str, object] = data
        self.where = where

    def get(self, key: str, default: object = None) -> object:
        return self.data.get(key, default)

    def text(
        self, key: str, default: str | None = None, pattern: re.Pattern[str] | None = None
    ) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value:
            raise InvalidPolicyError(f"{self.where} {key} must be a non-empty string.")
        if pattern is not None and not pattern.fullmatch(value):
            raise InvalidPolicyError(
                f"{self.where} {key} {value!r} must match the pattern {pattern.pattern}."
            )
        return value

    def integer(self, key: str, minimum: int = 0) -> int:
        return _integer(self.data.get(key), f"{self.where} {key}", minimum)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise InvalidPolicyError(f"{self.where} {key} must be true or false.")
        return value


def _integer(value: object, where: str, minimum: int = 0) -> int:
    # bool is an int in Python, but `true` is no number of days.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidPolicyError(f"{where} must be an integer of at least {minimum}.")
    return value


def _color(value: object, where: str, allowed: tuple[Color, ...]) -> Color:
    if value not in allowed:
        names = ", ".join(allowed)
        raise InvalidPolicyError(f"{where} color {value!r} is not one of: {names}.")
    return Color(str(value))


def _outcome(data: object, where: str, colors: tuple[Color, ...]) -> Outcome:
    obj = _Obj(data, where, frozenset({"color", "reason"}))
    return Outcome(_color(obj.get("color"), where, colors), obj.text("reason", pattern=_REASON))


def _date(value: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidPolicyError(f"{where} {value!r} is not a date (YYYY-MM-DD).") from None


def _zone(value: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPolicyError(f"{where} {value!r} is not a known time zone.") from None


def _required_doses(data: object, where: str) -> Mapping[str, int]:
    if not isinstance(data, dict) or not data:
        raise InvalidPolicyError(f"{where} must be a non-empty JSON object.")
    doses = {}
    for product, count in data.items():
        if not _REASON.fullmatch(product):
            raise InvalidPolicyError(f"{where} product key {product!r} must be UPPER_SNAKE_CASE.")
        doses[product] = _integer(count, f"{where} {product}", minimum=1)
    return MappingProxyType(doses)


def _rules(data: object, where: str, required: Mapping[str, int]) -> tuple[Rule, ...]:
    if not isinstance(data, list) or not data:
        raise InvalidPolicyError(f"{where} rules must be a non-empty JSON array.")
    rules = tuple(_rule(item, f"{where} rule {i}", required) for i, item in enumerate(data, 1))
    reasons = [r.reason for r in rules]
    if duplicates := sorted({r for r in reasons if reasons.count(r) > 1}):
        raise InvalidPolicyError(f"{where} repeats reasons: {', '.join(duplicates)}.")
    return rules


def _rule(data: object, where: str, required: Mapping[str, int]) -> Rule:
    obj = _Obj(data, where, _RULE_KEYS, _OPTIONAL_RULE_KEYS)
    reason = obj.text("reason", pattern=_REASON)
    where = obj.where = f"{where} ({reason})"
    kind_name = obj.text("kind")
    kind = KINDS.get(kind_name)
    if kind is None:
        raise InvalidPolicyError(
            f"{where} has unknown kind {kind_name!r}; known kinds: {', '.join(sorted(KINDS))}."
        )
    color = _color(obj.get("color"), where, _RULE_COLORS)
    final = obj.flag("final")
    # A final rule holds even when a source is missing, so only RED may be final.
    if final and color is not Color.RED:
        raise InvalidPolicyError(f"{where} is final, and only RED rules may be final.")
    params = _Obj(obj.get("params", {}), f"{where} params", kind.params)
    converted = Params(required_doses=required)
    for key in sorted(kind.params):
        converted = _PARAMS[key](converted, params.get(key), f"{where} params {key}")
    return Rule(
        reason=reason,
        color=color,
        kind=kind_name,
        final=final,
        params=converted,
        check=kind.check,
        description=obj.text("description", default=reason),
    )


def _duration(value: object, where: str) -> dt.timedelta:
    obj = _Obj(value, where, frozenset({"days", "hours"}), optional=frozenset({"days", "hours"}))
    if not obj.data:
        raise InvalidPolicyError(f"{where} must give days, hours or both.")
    days = _integer(obj.get("days", 0), f"{where} days")
    hours = _integer(obj.get("hours", 0), f"{where} hours")
    return dt.timedelta(days=days, hours=hours)


def _days(value: object, where: str) -> dt.timedelta:
    return dt.timedelta(days=_integer(value, where))


def _test_kinds(value: object, where: str) -> frozenset[TestKind]:
    known = [str(k) for k in TestKind]
    if not isinstance(value, list) or not value or any(v not in known for v in value):
        raise InvalidPolicyError(f"{where} must be a non-empty list of: {', '.join(known)}.")
    return frozenset(TestKind(v) for v in value)


# How each parameter of the file sets a field of `Params`.
_PARAMS: Final[Mapping[str, Callable[[Params, object, str], Params]]] = {
    "window": lambda p, v, where: replace(p, window=_duration(v, where)),
    "maturedAfterDays": lambda p, v, where: replace(p, matured_after=_days(v, where)),
    "validForDays": lambda p, v, where: replace(p, valid_for=_days(v, where)),
    "testKinds": lambda p, v, where: replace(p, test_kinds=_test_kinds(v, where)),
}
