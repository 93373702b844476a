"""The seeded workforce registry: enterprises of the city's industrial zones and their worker lists.

Deterministic from the same seed as the people, and drawn from them. The first enterprises are
fixed so that demos and tests can name them:

- E0001-E0005, one per pilot district (778, 760, 783, 787, 764): a DRAFT list holding the
  personas of that district (`python -m mocks personas` prints their `employerId`).
- E0006-E0009, large factories (districts 778, 783, 769, 777): an APPROVED list of 1,000-1,300
  workers each.
- E0010 onwards: random enterprises, most with one or two lists in a random state.

Approved seeded lists hold people who look protected at the reference instant (a complete
primary series given 20-350 days ago, no recent positive test, no open F0 case): a seeding
heuristic so that approved lists look like approved lists, not a status policy.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mocks.draw import Draw, Weighted
from mocks.model import LOCAL_TZ, DataSet
from mocks.names import DISTRICTS_BY_CODE
from mocks.personas import SPECS, persona_id

ListState = Literal["DRAFT", "SUBMITTED", "APPROVED", "REJECTED"]
ENTERPRISES = 240
# Operating conditions of the 2021 reopening plans (what the district allowed the site to run as).
CONDITIONS = {
    "THREE_ON_SITE": "Workers eat, sleep and work on site ('3 tại chỗ').",
    "ONE_ROUTE_TWO_DESTINATIONS": "Workers travel only between home and site by one fixed route "
    "('1 cung đường 2 điểm đến').",
    "SHUTTLE_BUS": "The enterprise carries workers by its own shuttle buses.",
    "WEEKLY_RAPID_TESTS": "Every worker takes a rapid antigen test each week.",
}
DEMO_EMPLOYERS = {"778": "E0001", "760": "E0002", "783": "E0003", "787": "E0004", "764": "E0005"}
_LARGE = ("778", "783", "769", "777")

# Where enterprises are: the districts of the export processing and industrial zones weigh most.
_DISTRICTS = Weighted(
    [
        ("778", 12),
        ("783", 10),
        ("769", 14),
        ("777", 10),
        ("785", 10),
        ("786", 8),
        ("761", 6),
        ("784", 5),
        ("767", 5),
        ("764", 2),
        ("765", 2),
        ("766", 2),
        ("776", 2),
        ("760", 2),
        ("770", 1),
        ("771", 1),
        ("772", 1),
        ("773", 1),
        ("774", 1),
        ("775", 1),
        ("768", 1),
        ("787", 1),
    ]
)
_KINDS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân")
_TRADES = (
    "May mặc",
    "Điện tử",
    "Thực phẩm",
    "Cơ khí",
    "Logistics",
    "Bao bì",
    "Dệt may",
    "Giày da",
    "Nhựa",
    "Dược phẩm",
    "Chế biến thủy sản",
    "Gỗ nội thất",
    "Linh kiện ô tô",
    "In ấn",
)
_BRANDS = (
    "Tân Thuận",
    "Phú Mỹ",
    "Sài Gòn",
    "Nam Việt",
    "Hưng Phát",
    "Thành Công",
    "Đại Dương",
    "Bình Minh",
    "Hoàng Long",
    "Việt Tiến",
    "An Khang",
    "Phước Thịnh",
    "Sông Hậu",
    "Kim Long",
    "Trường Hải",
    "Đông Á",
    "Minh Phát",
    "Tân Tạo",
    "Hiệp Phước",
    "Củ Chi",
)
_LIST_NAMES = (
    "Ca sáng",
    "Ca chiều",
    "Ca đêm",
    "Xưởng may",
    "Kho vận",
    "Bảo vệ",
    "Văn phòng",
    "Bếp ăn",
    "Xưởng lắp ráp",
    "Tổ bảo trì",
)
_STATES: Weighted[ListState] = Weighted(
    [("APPROVED", 45), ("SUBMITTED", 20), ("DRAFT", 25), ("REJECTED", 10)]
)
_LISTS_PER_ENTERPRISE: Weighted[int] = Weighted([(0, 2), (1, 6), (2, 2)])
_REJECTIONS = (
    "Danh sách vượt quá số lao động được phép.",
    "Thiếu phương án '3 tại chỗ' cho ca đêm.",
    "Cần bổ sung kết quả xét nghiệm của người lao động.",
)


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An employer as the district's registry knows it."""

    id: str
    name: str
    district: str
    headcount: int
    approved_quota: int
    conditions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeedList:
    """A worker list as the seed leaves it."""

    id: str
    enterprise_id: str
    name: str
    state: ListState
    workers: tuple[str, ...]
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    rejection_reason: str | None


@dataclass(frozen=True, slots=True)
class WorkforceSeed:
    """Every seeded enterprise and list."""

    enterprises: tuple[Enterprise, ...]
    lists: tuple[SeedList, ...]


@functools.cache
def persona_employers() -> dict[str, str]:
    """Persona id → the demo enterprise whose DRAFT list holds them (by the persona's district)."""
    return {
        persona_id(i): DEMO_EMPLOYERS[spec.district]
        for i, spec in enumerate(SPECS)
        if spec.district in DEMO_EMPLOYERS
    }


def looks_protected(dataset: DataSet, person_id: str) -> bool:
    """The seeding heuristic for approved lists (see the module docstring)."""
    today = dataset.reference.date()
    doses = dataset.doses.get(person_id, ())
    if not doses:
        return False
    last = doses[-1]
    days = (today - last.on).days
    if len(doses) < last.product.required_doses or not 20 <= days <= 350:
        return False
    if any(case.recovered_at is None for case in dataset.cases.get(person_id, ())):
        return False
    recent = dataset.reference - timedelta(days=16)
    return not any(t.positive and t.sampled_at > recent for t in dataset.tests.get(person_id, ()))


class _Seeder:
    """Draws enterprises and lists from one random stream (and one sampler for worker draws)."""

    def __init__(self, dataset: DataSet, seed: int) -> None:
        self.dataset = dataset
        self.draw = Draw(f"{seed}-workforce")
        self.sampler = random.Random(f"{seed}-workforce-lists")
        personas = set(persona_employers())
        randoms = [pid for pid in dataset.persons if pid not in personas]
        self.anyone = randoms
        self.protected = [pid for pid in randoms if looks_protected(dataset, pid)]
        self.names: set[str] = set()
        self.lists: list[SeedList] = []

    def name(self) -> str:
        draw = self.draw
        while True:
            name = f"{draw.pick(_KINDS)} {draw.pick(_TRADES)} {draw.pick(_BRANDS)}"
            if name not in self.names:
                self.names.add(name)
                return name
            # Common names repeat: the registry tells them apart by a branch number.
            name = f"{name} {draw.between(2, 9)}"
            if name not in self.names:
                self.names.add(name)
                return name

    def conditions(self) -> tuple[str, ...]:
        chosen = [code for code in CONDITIONS if self.draw.chance(0.35)]
        return tuple(chosen or [self.draw.pick(list(CONDITIONS))])

    def add_list(
        self, enterprise: Enterprise, state: ListState, workers: Sequence[str], name: str
    ) -> None:
        reference = self.dataset.reference.astimezone(LOCAL_TZ)
        created = reference - timedelta(
            days=self.draw.between(8, 40), hours=self.draw.between(0, 9)
        )
        submitted = created + timedelta(days=1) if state != "DRAFT" else None
        decided = created + timedelta(days=3) if state in ("APPROVED", "REJECTED") else None
        reason = self.draw.pick(_REJECTIONS) if state == "REJECTED" else None
        list_id = f"WL-{len(self.lists) + 1:04d}"
        self.lists.append(
            SeedList(
                list_id,
                enterprise.id,
                name,
                state,
                tuple(workers),
                created,
                submitted,
                decided,
                reason,
            )
        )

    def sample(self, pool: Sequence[str], count: int) -> list[str]:
        return self.sampler.sample(list(pool), min(count, len(pool)))


def _demo(seeder: _Seeder) -> list[Enterprise]:
    enterprises = []
    members = persona_employers()
    for district, enterprise_id in DEMO_EMPLOYERS.items():
        headcount = seeder.draw.between(120, 400)
        enterprise = Enterprise(
            enterprise_id, seeder.name(), district, headcount, headcount // 2, seeder.conditions()
        )
        enterprises.append(enterprise)
        workers = [pid for pid, employer in members.items() if employer == enterprise_id]
        workers = [pid for pid in workers if pid in seeder.dataset.persons]
        seeder.add_list(enterprise, "DRAFT", workers, "Danh sách mẫu")
    return enterprises


def _large(seeder: _Seeder) -> list[Enterprise]:
    enterprises = []
    for offset, district in enumerate(_LARGE):
        size = seeder.draw.between(1000, 1300)
        quota = size + seeder.draw.between(50, 400)
        enterprise = Enterprise(
            f"E{len(DEMO_EMPLOYERS) + offset + 1:04d}",
            seeder.name(),
            district,
            quota * 2,
            quota,
            seeder.conditions(),
        )
        enterprises.append(enterprise)
        workers = seeder.sample(seeder.protected, size)
        seeder.add_list(enterprise, "APPROVED", workers, "Toàn bộ người lao động")
    return enterprises


def _random(seeder: _Seeder, first: int, count: int) -> list[Enterprise]:
    enterprises = []
    draw = seeder.draw
    for number in range(first, first + count):
        headcount = draw.between(40, 1500)
        quota = max(10, round(headcount * draw.uniform(0.4, 0.8)))
        enterprise = Enterprise(
            f"E{number:04d}",
            seeder.name(),
            draw.weighted(_DISTRICTS),
            headcount,
            quota,
            seeder.conditions(),
        )
        enterprises.append(enterprise)
        room = quota
        for _ in range(draw.weighted(_LISTS_PER_ENTERPRISE)):
            state = draw.weighted(_STATES)
            size = draw.between(5, max(5, min(room // 3, 60)))
            pool = seeder.protected if state == "APPROVED" else seeder.anyone
            if state == "APPROVED":
                room -= size  # approved lists together stay within the quota
            seeder.add_list(enterprise, state, seeder.sample(pool, size), draw.pick(_LIST_NAMES))
    return enterprises


@functools.lru_cache(maxsize=4)
def build_workforce(dataset: DataSet, seed: int) -> WorkforceSeed:
    """The seeded registry of `dataset` (the same for the same data set and seed)."""
    seeder = _Seeder(dataset, seed)
    enterprises = _demo(seeder) + _large(seeder)
    enterprises += _random(seeder, len(enterprises) + 1, ENTERPRISES - len(enterprises))
    return WorkforceSeed(tuple(enterprises), tuple(seeder.lists))


def district_name(code: str) -> str:
    """The district's name, e.g. 'Quận 7'."""
    return DISTRICTS_BY_CODE[code].name
