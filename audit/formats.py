"""Dates and times as every page and report says them: one format, in the company's zone.

"6 Sep 2026", "Sun 6 Sep 2026", "6 Sep 2026, 13:33"; months as "Sep 2026". ISO dates stay
in CSV and JSON only. Registered as Jinja filters for the pages and the PDF reports alike.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def day(value: date | datetime, zone: ZoneInfo | None = None) -> str:
    """6 Sep 2026 (a moment: its day in `zone`)."""
    value = _in(value, zone)
    return f"{value.day} {value:%b %Y}"


def weekday(value: date | datetime, zone: ZoneInfo | None = None) -> str:
    """Sun 6 Sep 2026."""
    value = _in(value, zone)
    return f"{value:%a} {value.day} {value:%b %Y}"


def when(value: datetime, zone: ZoneInfo | None = None, with_day: bool = False) -> str:
    """6 Sep 2026, 13:33 in `zone` (the company's); `with_day`: Sun 6 Sep 2026, 13:33."""
    value = _in(value, zone)
    return f"{weekday(value) if with_day else day(value)}, {value:%H:%M}"


def month(value: date) -> str:
    return f"{value:%b %Y}"


def _in(value: date | datetime, zone: ZoneInfo | None) -> date | datetime:
    if isinstance(value, datetime) and zone is not None:
        return value.astimezone(zone)
    return value


FILTERS = {"day": day, "weekday": weekday, "when": when, "month": month}
