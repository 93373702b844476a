"""The seeded data set: deterministic, large, spread over HCMC, plausible, stable for hours."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime, timedelta

from mocks.model import LOCAL_TZ
from mocks.names import DISTRICTS
from mocks.personas import SPECS
from mocks.seed import build_dataset, dataset_for, reference_instant
from mocks.settings import MockSettings
from tests.mocks.policy_oracle import evaluate, facts_from_dataset
from tests.mocks.support import REFERENCE

PEOPLE = 20_000


def test_same_seed_gives_the_same_records() -> None:
    build = build_dataset.__wrapped__  # bypass the cache: two real builds
    first, second = build(7, 500, REFERENCE), build(7, 500, REFERENCE)
    assert first.persons == second.persons
    assert first.doses == second.doses
    assert first.tests == second.tests
    assert first.cases == second.cases


def test_another_seed_gives_other_people() -> None:
    build = build_dataset.__wrapped__
    first, second = build(7, 500, REFERENCE), build(8, 500, REFERENCE)
    random_ids = [f"P{i:07d}" for i in range(len(SPECS) + 1, 501)]
    names = sum(first.persons[i].full_name != second.persons[i].full_name for i in random_ids)
    assert names > len(random_ids) // 2


def test_builds_the_default_size_in_well_under_the_budget() -> None:
    # The budget is 2 s; the bound is looser so a busy CI machine does not fail it.
    started = time.perf_counter()
    dataset = build_dataset.__wrapped__(99, PEOPLE, REFERENCE)
    assert time.perf_counter() - started < 5
    assert len(dataset) == PEOPLE


def test_default_data_set_is_cached_per_settings(settings: MockSettings) -> None:
    assert dataset_for(settings) is dataset_for(settings)
    assert len(dataset_for(settings)) == PEOPLE


def test_without_a_reference_time_the_process_start_is_used() -> None:
    first = reference_instant(MockSettings())
    assert first == reference_instant(MockSettings())
    assert abs(datetime.now(LOCAL_TZ) - first) < timedelta(hours=1)


def test_people_spread_over_every_district(settings: MockSettings) -> None:
    counts = Counter(p.district for p in dataset_for(settings).persons.values())
    assert set(counts) == {d.code for d in DISTRICTS}
    assert min(counts.values()) >= 50  # Cần Giờ, the smallest, still has people
    assert counts["769"] > counts["760"]  # Thủ Đức is far more populous than District 1


def test_identity_fields_are_plausible_and_unique(settings: MockSettings) -> None:
    persons = list(dataset_for(settings).persons.values())
    assert len({p.phone for p in persons}) == len(persons)
    assert len({p.national_id for p in persons}) == len(persons)
    for p in persons:
        assert re.fullmatch(r"P\d{7}", p.id)
        assert re.fullmatch(r"09\d{8}", p.phone)
        assert re.fullmatch(r"\d{12}", p.national_id)
        # CCCD digits 4-6: century/gender code and the year of birth
        century = (0 if p.date_of_birth.year < 2000 else 2) + (p.gender == "female")
        assert p.national_id[3:6] == f"{century}{p.date_of_birth.year % 100:02d}"
        assert len(p.full_name.split()) == 3
        assert p.ward in p.address and p.district_name in p.address


def test_names_carry_vietnamese_diacritics(settings: MockSettings) -> None:
    names = [p.full_name for p in dataset_for(settings).persons.values()]
    with_marks = sum(any(ord(ch) > 127 for ch in name) for name in names)
    assert with_marks > len(names) * 0.8
    assert Counter(n.split()[0] for n in names).most_common(1)[0][0] == "Nguyễn"


def test_no_record_lies_after_the_reference_instant(settings: MockSettings) -> None:
    dataset = dataset_for(settings)
    today = REFERENCE.date()
    assert all(d.on <= today for doses in dataset.doses.values() for d in doses)
    assert all(t.sampled_at <= REFERENCE for tests in dataset.tests.values() for t in tests)
    for cases in dataset.cases.values():
        for c in cases:
            assert c.confirmed_at <= REFERENCE
            assert c.recovered_at is None or c.confirmed_at < c.recovered_at <= REFERENCE


def test_random_population_has_every_status(settings: MockSettings) -> None:
    dataset = dataset_for(settings)
    random_ids = list(dataset.persons)[len(SPECS) :]
    statuses = Counter(evaluate(facts_from_dataset(dataset, i), REFERENCE) for i in random_ids)
    colors: Counter[str] = Counter()
    reasons: set[str] = set()
    for status, count in statuses.items():
        colors[status.color] += count
        reasons.update(status.reasons)
    assert colors["GREEN"] > 0.45 * len(random_ids)  # most people are fully vaccinated
    assert colors["YELLOW"] > 0.1 * len(random_ids)
    assert colors["RED"] > 0.1 * len(random_ids)
    assert reasons == {
        "ACTIVE_F0",
        "RECENT_POSITIVE_TEST",
        "FULLY_VACCINATED",
        "RECOVERED",
        "PARTIALLY_VACCINATED",
        "RECENT_NEGATIVE_TEST",
        "NO_PROTECTION",
    }


def test_random_statuses_hold_for_six_hours_even_across_midnight() -> None:
    late_evening = datetime(2021, 10, 15, 23, 50, tzinfo=LOCAL_TZ)
    dataset = build_dataset(2021, 5000, late_evening)
    later = late_evening + timedelta(hours=6)
    changed = []
    for person_id in list(dataset.persons)[len(SPECS) :]:
        facts = facts_from_dataset(dataset, person_id)
        now, then = evaluate(facts, late_evening), evaluate(facts, later)
        if (now.color, now.reasons) != (then.color, then.reasons):
            changed.append(person_id)
    assert changed == []
