"""The form rules are data: changing a threshold in the file changes the triage, no code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from gateway.forms.f0_care import RULES_FILE, F0Reading, Severity, load_rules, triage

NOW = datetime(2021, 10, 15, 2, 0, tzinfo=UTC)


def reading(spo2: int) -> F0Reading:
    return F0Reading(NOW, 16, 80, 37.0, spo2, None, None, ())


def test_the_shipped_rules_escalate_below_96_percent() -> None:
    rules = load_rules()

    assert triage(reading(95), rules).severity is Severity.URGENT
    assert triage(reading(96), rules).severity is Severity.ROUTINE


def test_a_city_changes_the_spo2_threshold_in_the_file(tmp_path: Path) -> None:
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    for rule in data["warnings"]:
        if rule["warning"] == "LOW_SPO2":
            rule["below"] = 94
    changed = tmp_path / "f0_care.json"
    changed.write_text(json.dumps(data), encoding="utf-8")

    rules = load_rules(changed)

    assert triage(reading(95), rules).severity is Severity.ROUTINE
    assert triage(reading(93), rules).warnings == (triage(reading(93), load_rules()).warnings)
