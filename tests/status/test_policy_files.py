"""Policy files: the shipped ones, loading, and validation of a city's own file."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import gateway.status.policy as policy_module
from gateway.status import (
    DEFAULT_POLICY,
    Color,
    InvalidPolicyError,
    UnknownPolicyError,
    available_policies,
    evaluate,
    load_policy,
    policy_from_data,
    policy_from_json,
)
from gateway.status.rules import KINDS
from tests.status.status_helpers import antigen, day, doses, facts, local, pcr

Doc = dict[str, Any]


def shipped(name: str) -> Doc:
    text = (resources.files("gateway.status") / "policies" / f"{name}.json").read_text("utf-8")
    document: Doc = json.loads(text)
    return document


def test_shipped_policies() -> None:
    # given the gateway as installed
    # when its policies are listed
    # then there are exactly the two HCMC policies, and the default is one of them
    assert available_policies() == ["hcmc-2021-09", "hcmc-2021-10"]
    assert DEFAULT_POLICY == "hcmc-2021-10"
    assert load_policy(DEFAULT_POLICY).name == DEFAULT_POLICY


def test_default_policy_table() -> None:
    # given the default policy file
    policy = load_policy("hcmc-2021-10")
    # when its table is read
    # then it is DOMAIN.md section 3, in order
    assert [(r.reason, r.color, r.kind, r.final) for r in policy.rules] == [
        ("ACTIVE_F0", Color.RED, "active_f0", True),
        ("RECENT_POSITIVE_TEST", Color.RED, "recent_positive_test", True),
        ("FULLY_VACCINATED", Color.GREEN, "complete_series", False),
        ("RECOVERED", Color.GREEN, "recovered_with_proof", False),
        ("PARTIALLY_VACCINATED", Color.YELLOW, "first_dose_matured", False),
        ("RECENT_NEGATIVE_TEST", Color.YELLOW, "recent_negative_test", False),
    ]
    assert sorted({r.kind for r in policy.rules}) == sorted(KINDS)
    assert (policy.fallback.color, policy.fallback.reason) == (Color.RED, "NO_PROTECTION")
    assert (policy.unavailable.color, policy.unavailable.reason) == (
        Color.UNKNOWN,
        "DATA_UNAVAILABLE",
    )
    assert dict(policy.required_doses) == {
        "ASTRAZENECA": 2,
        "PFIZER": 2,
        "MODERNA": 2,
        "SINOPHARM": 2,
        "SPUTNIK_V": 2,
        "JANSSEN": 1,
        "ABDALA": 3,
        "HAYAT_VAX": 2,
    }
    assert policy.timezone.key == "Asia/Ho_Chi_Minh"
    assert (policy.version, policy.effective_from) == (1, dt.date(2021, 10, 1))
    assert policy.description.startswith("Ho Chi Minh City")


def test_windows_are_read_from_the_file() -> None:
    # given the default policy
    rules = {r.reason: r.params for r in load_policy("hcmc-2021-10").rules}
    # when the parameters are read
    # then every window is the one DOMAIN.md names
    assert rules["RECENT_POSITIVE_TEST"].window == dt.timedelta(days=14)
    assert rules["FULLY_VACCINATED"].matured_after == dt.timedelta(days=14)
    assert rules["FULLY_VACCINATED"].valid_for == dt.timedelta(days=365)
    assert rules["RECOVERED"].window == dt.timedelta(days=180)
    assert rules["PARTIALLY_VACCINATED"].matured_after == dt.timedelta(days=14)
    assert rules["RECENT_NEGATIVE_TEST"].window == dt.timedelta(hours=72)
    assert {str(k) for k in rules["RECENT_NEGATIVE_TEST"].test_kinds} == {"PCR", "ANTIGEN"}


def test_load_policy_is_cached() -> None:
    # given a policy loaded once
    # when it is loaded again
    # then it is the very same object: files are read and validated once
    assert load_policy("hcmc-2021-09") is load_policy("hcmc-2021-09")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("hcmc-2021-11", id="no-such-file"),
        pytest.param("../policies/hcmc-2021-10", id="path-outside"),
        pytest.param("HCMC-2021-10", id="case-matters"),
        pytest.param("", id="empty"),
    ],
)
def test_unknown_policy(name: str) -> None:
    # given a name no shipped file has
    # when it is loaded
    with pytest.raises(UnknownPolicyError) as caught:
        load_policy(name)
    # then the error is a ValueError naming the name and the choices
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        f"There is no status policy named {name!r}; available: hcmc-2021-09, hcmc-2021-10."
    )


def _set(path: tuple[Any, ...], value: object) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple[Any, ...]) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _move_final_rule_last(doc: Doc) -> None:
    doc["rules"].append(doc["rules"].pop(1))


P = "Policy 'hcmc-2021-10'"
INVALID = [
    pytest.param(
        _set(("rules", 2, "kind"), "fully_vaccinated"),
        f"{P} rule 3 (FULLY_VACCINATED) has unknown kind 'fully_vaccinated'; known kinds: "
        "active_f0, complete_series, first_dose_matured, recent_negative_test, "
        "recent_positive_test, recovered_with_proof.",
        id="unknown-kind",
    ),
    pytest.param(
        _set(("rules", 4, "color"), "AMBER"),
        f"{P} rule 5 (PARTIALLY_VACCINATED) color 'AMBER' is not one of: GREEN, YELLOW, RED.",
        id="unknown-colour",
    ),
    pytest.param(
        _set(("rules", 4, "color"), "UNKNOWN"),
        f"{P} rule 5 (PARTIALLY_VACCINATED) color 'UNKNOWN' is not one of: GREEN, YELLOW, RED.",
        id="rule-colour-unknown",
    ),
    pytest.param(
        _set(("rules", 4, "final"), True),
        f"{P} rule 5 (PARTIALLY_VACCINATED) is final, and only RED rules may be final.",
        id="final-yellow",
    ),
    pytest.param(
        _set(("rules", 0, "final"), "yes"),
        f"{P} rule 1 (ACTIVE_F0) final must be true or false.",
        id="final-not-boolean",
    ),
    pytest.param(
        _move_final_rule_last,
        f"{P} must list its final rules before all other rules.",
        id="final-after-graded",
    ),
    pytest.param(
        _set(("rules", 5, "reason"), "PARTIALLY_VACCINATED"),
        f"{P} repeats reasons: PARTIALLY_VACCINATED.",
        id="duplicate-reason",
    ),
    pytest.param(
        _set(("rules", 2, "reason"), "fully_vaccinated"),
        f"{P} rule 3 reason 'fully_vaccinated' must match the pattern [A-Z][A-Z0-9_]*.",
        id="lowercase-reason",
    ),
    pytest.param(
        _set(("rules", 0), "ACTIVE_F0"),
        f"{P} rule 1 must be a JSON object.",
        id="rule-not-object",
    ),
    pytest.param(
        _set(("rules", 0, "colour"), "RED"),
        f"{P} rule 1 has unknown keys: colour.",
        id="rule-unknown-key",
    ),
    pytest.param(
        _delete(("rules", 2, "params", "validForDays")),
        f"{P} rule 3 (FULLY_VACCINATED) params is missing keys: validForDays.",
        id="missing-param",
    ),
    pytest.param(
        _delete(("rules", 2, "params")),
        f"{P} rule 3 (FULLY_VACCINATED) params is missing keys: maturedAfterDays, validForDays.",
        id="missing-params",
    ),
    pytest.param(
        _set(("rules", 0, "params"), {"windowDays": 3}),
        f"{P} rule 1 (ACTIVE_F0) params has unknown keys: windowDays.",
        id="unknown-param",
    ),
    pytest.param(
        _set(("rules", 2, "params", "maturedAfterDays"), -1),
        f"{P} rule 3 (FULLY_VACCINATED) params maturedAfterDays must be an integer of at least 0.",
        id="negative-days",
    ),
    pytest.param(
        _set(("rules", 2, "params", "validForDays"), True),
        f"{P} rule 3 (FULLY_VACCINATED) params validForDays must be an integer of at least 0.",
        id="boolean-days",
    ),
    pytest.param(
        _set(("rules", 2, "params", "validForDays"), "365"),
        f"{P} rule 3 (FULLY_VACCINATED) params validForDays must be an integer of at least 0.",
        id="string-days",
    ),
    pytest.param(
        _set(("rules", 3, "params", "window"), {}),
        f"{P} rule 4 (RECOVERED) params window must give days, hours or both.",
        id="empty-window",
    ),
    pytest.param(
        _set(("rules", 3, "params", "window"), {"weeks": 26}),
        f"{P} rule 4 (RECOVERED) params window has unknown keys: weeks.",
        id="window-in-weeks",
    ),
    pytest.param(
        _set(("rules", 3, "params", "window"), {"days": 1.5}),
        f"{P} rule 4 (RECOVERED) params window days must be an integer of at least 0.",
        id="fractional-window",
    ),
    pytest.param(
        _set(("rules", 5, "params", "testKinds"), ["PCR", "LAMP"]),
        f"{P} rule 6 (RECENT_NEGATIVE_TEST) params testKinds must be a non-empty list of: "
        "PCR, ANTIGEN.",
        id="unknown-test-kind",
    ),
    pytest.param(
        _set(("rules", 5, "params", "testKinds"), []),
        f"{P} rule 6 (RECENT_NEGATIVE_TEST) params testKinds must be a non-empty list of: "
        "PCR, ANTIGEN.",
        id="no-test-kinds",
    ),
    pytest.param(
        _set(("rules",), []),
        f"{P} rules must be a non-empty JSON array.",
        id="no-rules",
    ),
    pytest.param(
        _set(("timeZone",), "Asia/Saigon_City"),
        f"{P} timeZone 'Asia/Saigon_City' is not a known time zone.",
        id="unknown-time-zone",
    ),
    pytest.param(
        _set(("effectiveFrom",), "2021-13-01"),
        f"{P} effectiveFrom '2021-13-01' is not a date (YYYY-MM-DD).",
        id="bad-effective-date",
    ),
    pytest.param(
        _set(("version",), 0),
        f"{P} version must be an integer of at least 1.",
        id="version-zero",
    ),
    pytest.param(
        _set(("format",), 2),
        f"{P} has format 2; this gateway reads format 1.",
        id="newer-format",
    ),
    pytest.param(
        _set(("description",), ""),
        f"{P} description must be a non-empty string.",
        id="empty-description",
    ),
    pytest.param(
        _set(("name",), "HCMC 2021"),
        "The policy name 'HCMC 2021' must match the pattern [a-z0-9][a-z0-9._-]*.",
        id="bad-name",
    ),
    pytest.param(
        _set(("colour",), "RED"),
        "The policy has unknown keys: colour.",
        id="unknown-top-level-key",
    ),
    pytest.param(
        _delete(("fallback",)),
        "The policy is missing keys: fallback.",
        id="missing-fallback",
    ),
    pytest.param(
        _set(("fallback", "color"), "GREEN"),
        f"{P} fallback color 'GREEN' is not one of: RED, YELLOW.",
        id="fallback-green",
    ),
    pytest.param(
        _set(("unavailable", "color"), "GREEN"),
        f"{P} unavailable color 'GREEN' is not one of: UNKNOWN, RED.",
        id="unavailable-green",
    ),
    pytest.param(
        _set(("unavailable", "reason"), "data unavailable"),
        f"{P} unavailable reason 'data unavailable' must match the pattern [A-Z][A-Z0-9_]*.",
        id="unavailable-bad-reason",
    ),
    pytest.param(
        _set(("requiredDoses", "ABDALA"), 0),
        f"{P} requiredDoses ABDALA must be an integer of at least 1.",
        id="zero-required-doses",
    ),
    pytest.param(
        _set(("requiredDoses", "abdala"), 3),
        f"{P} requiredDoses product key 'abdala' must be UPPER_SNAKE_CASE.",
        id="lowercase-product",
    ),
    pytest.param(
        _set(("requiredDoses",), {}),
        f"{P} requiredDoses must be a non-empty JSON object.",
        id="no-products",
    ),
]


@pytest.mark.parametrize(("change", "message"), INVALID)
def test_invalid_policy_file(change: Callable[[Doc], None], message: str) -> None:
    # given the default policy file with one mistake
    document = copy.deepcopy(shipped("hcmc-2021-10"))
    change(document)
    # when it is validated
    with pytest.raises(InvalidPolicyError) as caught:
        policy_from_data(document)
    # then the error names the place and the mistake
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "{",
            "A policy file is not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1).",
            id="broken-json",
        ),
        pytest.param("[]", "The policy must be a JSON object.", id="array"),
    ],
)
def test_invalid_policy_text(text: str, message: str) -> None:
    # given text that is no policy object
    # when it is parsed
    with pytest.raises(InvalidPolicyError) as caught:
        policy_from_json(text)
    # then the error says why
    assert str(caught.value) == message


def city_variant() -> Doc:
    """A city's own variant: PCR-only negative tests valid 48 h, first dose counts at once."""
    document = copy.deepcopy(shipped("hcmc-2021-10"))
    document["name"] = "hcmc-2021-11-pcr48"
    document["effectiveFrom"] = "2021-11-01"
    rules = {rule["reason"]: rule for rule in document["rules"]}
    rules["RECENT_NEGATIVE_TEST"]["params"] = {"window": {"hours": 48}, "testKinds": ["PCR"]}
    rules["PARTIALLY_VACCINATED"]["params"] = {"maturedAfterDays": 0}
    return document


def test_city_variant_is_only_data() -> None:
    # given a variant written as a policy document
    variant = policy_from_data(city_variant())
    at = local(2021, 11, 20, 10)
    # when people are evaluated under it
    pcr_47h = evaluate(variant, facts(tests=[pcr(at - dt.timedelta(hours=47), positive=False)]), at)
    pcr_48h = evaluate(variant, facts(tests=[pcr(at - dt.timedelta(hours=48), positive=False)]), at)
    antigen_1h = evaluate(
        variant, facts(tests=[antigen(at - dt.timedelta(hours=1), positive=False)]), at
    )
    dose_today = evaluate(variant, facts(doses((at.date(), "PFIZER"))), day(at.date()))
    eve = day(at.date()) - dt.timedelta(microseconds=1)  # the dose is dated tomorrow then
    dose_tomorrow = evaluate(variant, facts(doses((at.date(), "PFIZER"))), eve)
    # then the new windows and test kinds apply, with no code change
    assert (pcr_47h.color, pcr_47h.valid_until) == (Color.YELLOW, at + dt.timedelta(hours=1))
    assert (pcr_48h.color, pcr_48h.reasons) == (Color.RED, ("NO_PROTECTION",))
    assert (antigen_1h.color, antigen_1h.reasons) == (Color.RED, ("NO_PROTECTION",))
    assert (dose_today.color, dose_today.reasons) == (Color.YELLOW, ("PARTIALLY_VACCINATED",))
    assert (dose_tomorrow.color, dose_tomorrow.reasons) == (Color.RED, ("NO_PROTECTION",))
    assert pcr_47h.policy == "hcmc-2021-11-pcr48"


@pytest.fixture
def policy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A policies folder of our own; the load cache is cleared around it."""
    monkeypatch.setattr(policy_module, "_policy_dir", lambda: tmp_path)
    load_policy.cache_clear()
    yield tmp_path
    load_policy.cache_clear()


def test_city_adds_a_variant_by_writing_a_file(policy_dir: Path) -> None:
    # given a new JSON file in the policies folder
    (policy_dir / "hcmc-2021-11-pcr48.json").write_text(json.dumps(city_variant()), "utf-8")
    # when policies are listed and the new one loaded
    names = available_policies()
    variant = load_policy("hcmc-2021-11-pcr48")
    # then it is available like the shipped ones
    assert names == ["hcmc-2021-11-pcr48"]
    assert variant.timezone.key == "Asia/Ho_Chi_Minh"
    assert variant.effective_from == dt.date(2021, 11, 1)


def test_file_name_must_match_policy_name(policy_dir: Path) -> None:
    # given a file whose content names another policy
    (policy_dir / "city-x.json").write_text(json.dumps(city_variant()), "utf-8")
    # when it is loaded
    with pytest.raises(InvalidPolicyError) as caught:
        load_policy("city-x")
    # then the mismatch is an error
    assert str(caught.value) == "Policy file city-x.json declares the name 'hcmc-2021-11-pcr48'."


def test_every_kind_parameter_has_a_reader() -> None:
    # given the kinds of the vocabulary
    # when their parameter names are compared with the readers of the file format
    needed = {name for kind in KINDS.values() for name in kind.params}
    # then each one can be read from a file
    assert needed <= set(policy_module._PARAMS)
