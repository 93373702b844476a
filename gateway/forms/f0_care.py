"""The F0 daily home-care report (MOH Decision 4038/QĐ-BYT, DOMAIN.md §5).

Validation against the plausible ranges, and triage: the warnings a report raises and its
severity (URGENT when any escalating warning holds). Ranges and thresholds are `f0_care.json`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from gateway.errors import BadUserInput

RULES_FILE = Path(__file__).with_name("f0_care.json")


class F0Symptom(StrEnum):
    """The symptom checklist of the report."""

    FATIGUE = "FATIGUE"
    COUGH = "COUGH"
    CHILLS = "CHILLS"
    FEVER = "FEVER"
    SORE_THROAT = "SORE_THROAT"
    HEADACHE = "HEADACHE"
    MUSCLE_ACHE = "MUSCLE_ACHE"
    RUNNY_NOSE = "RUNNY_NOSE"
    LOSS_OF_TASTE_OR_SMELL = "LOSS_OF_TASTE_OR_SMELL"
    DIARRHOEA = "DIARRHOEA"
    COUGHING_BLOOD = "COUGHING_BLOOD"
    SHORTNESS_OF_BREATH = "SHORTNESS_OF_BREATH"
    CHEST_PAIN = "CHEST_PAIN"
    CONFUSION = "CONFUSION"


class F0Warning(StrEnum):
    """What a report warns about (which of them escalate is data)."""

    LOW_SPO2 = "LOW_SPO2"
    FAST_BREATHING = "FAST_BREATHING"
    FAST_PULSE = "FAST_PULSE"
    SLOW_PULSE = "SLOW_PULSE"
    LOW_SYSTOLIC = "LOW_SYSTOLIC"
    LOW_DIASTOLIC = "LOW_DIASTOLIC"
    CHEST_PAIN = "CHEST_PAIN"
    CONFUSION = "CONFUSION"
    SHORTNESS_OF_BREATH = "SHORTNESS_OF_BREATH"
    COUGHING_BLOOD = "COUGHING_BLOOD"
    FEVER = "FEVER"


class Severity(StrEnum):
    """ROUTINE, or URGENT: escalate to the district's health officers at once."""

    ROUTINE = "ROUTINE"
    URGENT = "URGENT"


@dataclass(frozen=True, slots=True)
class F0Reading:
    """One report's measurements and symptoms."""

    measured_at: datetime
    respiratory_rate: int
    pulse: int
    temperature: float
    spo2: int
    systolic: int | None
    diastolic: int | None
    symptoms: tuple[F0Symptom, ...]

    def measure(self, name: str) -> float | None:
        """A measurement by its input path (`spo2`, `bloodPressure.systolic`); None if absent."""
        return {
            "respiratoryRate": self.respiratory_rate,
            "pulse": self.pulse,
            "temperature": self.temperature,
            "spo2": self.spo2,
            "bloodPressure.systolic": self.systolic,
            "bloodPressure.diastolic": self.diastolic,
        }[name]


@dataclass(frozen=True, slots=True)
class Range:
    """A plausible range, inclusive."""

    low: float
    high: float
    unit: str


@dataclass(frozen=True, slots=True)
class WarningRule:
    """One warning: a measure beyond a threshold, or a symptom reported."""

    warning: F0Warning
    escalate: bool
    measure: str | None = None
    below: float | None = None
    above: float | None = None
    at_least: float | None = None
    symptom: F0Symptom | None = None

    def holds(self, reading: F0Reading) -> bool:
        if self.symptom is not None:
            return self.symptom in reading.symptoms
        value = reading.measure(self.measure) if self.measure else None
        if value is None:
            return False
        return (
            (self.below is not None and value < self.below)
            or (self.above is not None and value > self.above)
            or (self.at_least is not None and value >= self.at_least)
        )


@dataclass(frozen=True, slots=True)
class F0Rules:
    """`f0_care.json`, typed."""

    ranges: dict[str, Range]
    max_age: timedelta
    max_ahead: timedelta
    warnings: tuple[WarningRule, ...]


@dataclass(frozen=True, slots=True)
class Triage:
    """The warnings of a report, in rule order, and its severity."""

    warnings: tuple[F0Warning, ...]
    severity: Severity


@functools.cache
def load_rules(path: Path = RULES_FILE) -> F0Rules:
    """The F0 report rules (read once); an unknown warning or measure fails loudly here."""
    data = json.loads(path.read_text(encoding="utf-8"))
    ranges = {
        name: Range(float(r["min"]), float(r["max"]), str(r["unit"]))
        for name, r in data["ranges"].items()
    }
    rules = tuple(
        WarningRule(
            warning=F0Warning(rule["warning"]),
            escalate=bool(rule["escalate"]),
            measure=rule.get("measure"),
            below=rule.get("below"),
            above=rule.get("above"),
            at_least=rule.get("atLeast"),
            symptom=F0Symptom(rule["symptom"]) if "symptom" in rule else None,
        )
        for rule in data["warnings"]
    )
    for rule in rules:
        if rule.measure is not None and rule.measure not in ranges:
            raise ValueError(f"{path}: warning {rule.warning} measures unknown {rule.measure!r}")
    return F0Rules(
        ranges=ranges,
        max_age=timedelta(hours=data["measuredAt"]["maxAgeHours"]),
        max_ahead=timedelta(minutes=data["measuredAt"]["maxAheadMinutes"]),
        warnings=rules,
    )


def validate(reading: F0Reading, rules: F0Rules, now: datetime) -> F0Reading:
    """The reading with symptoms deduplicated; BAD_USER_INPUT naming the first bad field."""
    for name, bounds in rules.ranges.items():
        value = reading.measure(name)
        if value is not None and not bounds.low <= value <= bounds.high:
            raise BadUserInput(
                f"{name} must be between {bounds.low:g} and {bounds.high:g} {bounds.unit}; "
                f"got {value:g}.",
                field=f"input.{name}",
            )
    if (reading.systolic is None) != (reading.diastolic is None):
        missing = "diastolic" if reading.diastolic is None else "systolic"
        raise BadUserInput(
            "A blood pressure needs both its systolic and diastolic values.",
            field=f"input.bloodPressure.{missing}",
        )
    if reading.systolic is not None and reading.diastolic is not None:
        _check_pressure(reading.systolic, reading.diastolic)
    if reading.measured_at.tzinfo is None:
        raise BadUserInput("measuredAt must carry an offset.", field="input.measuredAt")
    if not now - rules.max_age <= reading.measured_at <= now + rules.max_ahead:
        raise BadUserInput(
            f"measuredAt must be within the last {rules.max_age.total_seconds() / 3600:g} hours "
            "and not in the future.",
            field="input.measuredAt",
        )
    return F0Reading(
        measured_at=reading.measured_at,
        respiratory_rate=reading.respiratory_rate,
        pulse=reading.pulse,
        temperature=reading.temperature,
        spo2=reading.spo2,
        systolic=reading.systolic,
        diastolic=reading.diastolic,
        symptoms=tuple(sorted(set(reading.symptoms))),
    )


def _check_pressure(systolic: int, diastolic: int) -> None:
    if diastolic >= systolic:
        raise BadUserInput(
            "The diastolic pressure must be lower than the systolic.",
            field="input.bloodPressure.diastolic",
        )


def triage(reading: F0Reading, rules: F0Rules) -> Triage:
    """The warnings that hold and the severity: URGENT when any escalating one holds."""
    holding = [rule for rule in rules.warnings if rule.holds(reading)]
    urgent = any(rule.escalate for rule in holding)
    return Triage(
        warnings=tuple(dict.fromkeys(rule.warning for rule in holding)),
        severity=Severity.URGENT if urgent else Severity.ROUTINE,
    )
