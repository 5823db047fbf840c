"""Business-time arithmetic of the contract calendar (used by the overdue windows; the SLA engine builds
on it). No database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.sla import brussels_calendar

BRUSSELS = ZoneInfo("Europe/Brussels")
CALENDAR = brussels_calendar()


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (local(2026, 11, 27, 16, 30), 1, local(2026, 11, 30, 9, 30)),  # Friday 16:30 -> Monday 09:30
        (local(2026, 11, 27, 20, 0), 1, local(2026, 11, 30, 10, 0)),  # after hours: the clock starts Monday
        (local(2026, 12, 24, 16, 30), 1, local(2026, 12, 28, 9, 30)),  # Christmas Friday is a holiday
        (local(2027, 3, 26, 16, 0), 2, local(2027, 3, 30, 10, 0)),  # DST weekend, then Easter Monday 29 March
        (local(2026, 10, 23, 16, 0), 2, local(2026, 10, 26, 10, 0)),  # autumn DST weekend
        (local(2026, 11, 25, 10, 0), 4, local(2026, 11, 25, 14, 0)),  # inside one day
    ],
)
def test_add_business_hours(start, hours, due):
    assert CALENDAR.add(start, timedelta(hours=hours)) == due.astimezone(UTC)


def test_between_measures_back_what_add_added():
    start = local(2026, 11, 27, 16, 30)
    for minutes in (1, 30, 90, 480, 481, 5000):
        due = CALENDAR.add(start, timedelta(minutes=minutes))
        assert CALENDAR.between(start, due) == timedelta(minutes=minutes)


def test_the_ten_belgian_public_holidays_of_2026_are_off():
    weekday_holidays = [(1, 1), (4, 6), (5, 1), (5, 14), (5, 25), (7, 21), (11, 11), (12, 25)]
    for month, day in weekday_holidays:
        assert not CALENDAR.is_working_day(datetime(2026, month, day).date()), (month, day)
    assert CALENDAR.is_working_day(datetime(2026, 11, 2).date())  # 2 November is not a public holiday
