"""Builders shared by the status policy tests: local instants and facts in a line each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from gateway.status import Dose, F0Case, Facts, LabTest, TestKind

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
US = dt.timedelta(microseconds=1)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> dt.datetime:
    """An instant on the Ho Chi Minh City clock."""
    return dt.datetime(y, m, d, h, mi, s, us, tzinfo=TZ)


def day(date: dt.date) -> dt.datetime:
    """'day D' of the policy: 00:00 of `date` in Ho Chi Minh City."""
    return dt.datetime.combine(date, dt.time(), TZ)


def doses(*items: tuple[dt.date, str]) -> list[Dose]:
    return [Dose(date, product) for date, product in items]


def pcr(sampled_at: dt.datetime, *, positive: bool) -> LabTest:
    return LabTest(TestKind.PCR, sampled_at, positive)


def antigen(sampled_at: dt.datetime, *, positive: bool) -> LabTest:
    return LabTest(TestKind.ANTIGEN, sampled_at, positive)


def case(
    confirmed_at: dt.datetime,
    recovered_at: dt.datetime | None = None,
    proof: str | None = None,
) -> F0Case:
    return F0Case(confirmed_at, recovered_at, proof)


def facts(
    dose_list: Sequence[Dose] | None = (),
    tests: Sequence[LabTest] | None = (),
    cases: Sequence[F0Case] | None = (),
) -> Facts:
    """Facts with every source read and empty unless given; pass None for an unread source."""
    return Facts(doses=dose_list, tests=tests, f0_cases=cases)
