"""Business-time arithmetic: the core of every SLA and business-hour window. No Django here.

A ``BusinessCalendar`` is a time zone, weekly opening hours and a set of holidays. Its arithmetic
builds each day's open interval in local wall-clock time and converts both ends to UTC, so a
daylight-saving change moves the interval instead of stretching it (DOMAIN.md §8). It jumps a whole
open interval at a time, never minute by minute.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_lists

MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)
# Beyond this, a deadline is not a business-hours question any more (and a calendar with no open
# day at all must not loop for ever).
MAX_DAYS_AHEAD = 3660


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: ZoneInfo
    opens: time
    closes: time
    weekdays: tuple[int, ...] = MONDAY_TO_FRIDAY
    holidays: Container[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals (UTC) that end after ``start``, in order; the first is cut at ``start``."""
        start = start.astimezone(UTC)
        day = start.astimezone(self.time_zone).date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                opens = datetime.combine(day, self.opens, self.time_zone).astimezone(UTC)
                closes = datetime.combine(day, self.closes, self.time_zone).astimezone(UTC)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of business time has passed since ``start`` (UTC).

        Started outside hours, the clock starts at the next opening; a zero duration is ``start``.
        """
        if duration <= timedelta(0):
            return start.astimezone(UTC)
        remaining = duration
        for opens, closes in self.open_intervals(start):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise ValueError(f"no business time within {MAX_DAYS_AHEAD} days of {start.isoformat()}")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (zero if ``end`` is not later)."""
        end = end.astimezone(UTC)
        total = timedelta(0)
        for opens, closes in self.open_intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total


def brussels_calendar() -> BusinessCalendar:
    """The contract calendar: Monday to Friday 09:00-17:00 Europe/Brussels, Belgian public holidays off."""
    return BusinessCalendar(
        time_zone=ZoneInfo("Europe/Brussels"),
        opens=time(9),
        closes=time(17),
        holidays=holiday_lists.country_holidays("BE"),  # fills in each year as it is asked about
    )
