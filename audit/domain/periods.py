"""Reporting periods in the company's time zone, and the period before each.

A period is whole days, first and last included: an audit finished at 23:59 on
the last day counts. It is turned into a half-open UTC range [start, end) for SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRESETS = {"30d": "Last 30 days", "90d": "Last 90 days", "quarter": "This quarter"}
MAX_DAYS = 3660
# a period and the one before it stay well inside the calendar Python can count in
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


class PeriodError(ValueError):
    """A period that cannot be used; the message says why."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    zone: str
    preset: str = ""

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        """Midnight after the last day: the range is [start, end)."""
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.zone))

    def previous(self) -> Period:
        """The period of the same length just before this one (for 'change')."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.zone)

    @property
    def label(self) -> str:
        span = f"{self.first.day} {self.first:%b %Y} to {self.last.day} {self.last:%b %Y}"
        return f"{PRESETS[self.preset]} ({span})" if self.preset else span


def resolve(today: date, zone: str, preset: str = "", first: str = "", last: str = "") -> Period:
    """A period from a preset ("30d", "90d", "quarter") or from/to dates (YYYY-MM-DD)."""
    if first or last:
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last or first)
        except ValueError:
            raise PeriodError("dates must look like 2026-11-23") from None
        if not (start >= EARLIEST and end <= LATEST):
            raise PeriodError(f"dates must lie between {EARLIEST:%Y} and {LATEST:%Y}")
        if end < start:
            raise PeriodError("the period ends before it starts")
        if (end - start).days >= MAX_DAYS:
            raise PeriodError("a period can be at most ten years")
        return Period(start, end, zone)
    preset = preset or "90d"
    if preset == "30d":
        return Period(today - timedelta(days=29), today, zone, preset)
    if preset == "90d":
        return Period(today - timedelta(days=89), today, zone, preset)
    if preset == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return Period(date(today.year, first_month, 1), today, zone, preset)
    raise PeriodError(f"unknown period {preset!r} (use 30d, 90d, quarter, or from and to dates)")
