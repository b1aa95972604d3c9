from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from audit import formats


def test_one_date_format_in_the_company_s_zone():
    moment = datetime(2026, 9, 6, 23, 30, tzinfo=UTC)
    assert formats.day(date(2026, 9, 6)) == "6 Sep 2026"
    assert formats.when(moment, ZoneInfo("Europe/London")) == "7 Sep 2026, 00:30"  # the company's day, not UTC's
    assert formats.when(moment, ZoneInfo("UTC"), with_day=True) == "Sun 6 Sep 2026, 23:30"
    assert formats.month(date(2026, 1, 1)) == "Jan 2026"
