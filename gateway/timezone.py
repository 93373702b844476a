"""The city's clock: Asia/Ho_Chi_Minh (UTC+07:00, no daylight saving)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """The current instant, in the city's time zone."""
    return datetime.now(LOCAL)
