from datetime import UTC, date, datetime

import pytest

from audit.domain.periods import PeriodError, resolve

TODAY = date(2026, 11, 23)


def test_presets_end_today_and_include_it():
    p = resolve(TODAY, "Europe/London", "30d")
    assert (p.first, p.last, p.days) == (date(2026, 10, 25), TODAY, 30)
    assert resolve(TODAY, "UTC", "quarter").first == date(2026, 10, 1)
    assert resolve(TODAY, "UTC").days == 90


def test_the_last_day_counts_until_midnight_in_the_company_time_zone():
    p = resolve(TODAY, "America/New_York", first="2026-11-01", last="2026-11-30")
    assert p.start == datetime(2026, 11, 1, 4, tzinfo=UTC)  # midnight in New York, summer time
    assert p.end == datetime(2026, 12, 1, 5, tzinfo=UTC)  # midnight after the 30th, winter time
    late = datetime(2026, 12, 1, 4, 59, tzinfo=UTC)  # 23:59 on the 30th in New York
    assert p.start <= late < p.end


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    p = resolve(TODAY, "UTC", first="2026-11-01", last="2026-11-10").previous()
    assert (p.first, p.last) == (date(2026, 10, 22), date(2026, 10, 31))


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [("week", "", ""), ("", "2026-13-01", ""), ("", "2026-11-10", "2026-11-01"), ("", "2000-01-01", "2026-01-01")],
)
def test_bad_periods_are_refused_with_a_reason(preset, first, last):
    with pytest.raises(PeriodError):
        resolve(TODAY, "UTC", preset, first, last)
