"""A deliberately naive business-time reference, to check ``tickets.sla`` against.

It shares no code with ``tickets/sla.py``. It walks minute by minute in UTC: the UTC minute
``[t, t + 1 min)`` is business time iff the wall-clock time of ``t`` in the calendar's zone falls on a
working day (a weekday that has hours and is not a holiday) and inside one of that day's open
intervals ``[open, close)``; a close of ``time(0)`` means midnight at the end of the day.

Slow on purpose (a few weeks of minutes per call at most): no layout, no search, no prefix sums.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_MINUTE = timedelta(minutes=1)
# A guard so that a calendar with no business time at all fails loudly instead of looping forever.
MAX_MINUTES_WALKED = 400 * 24 * 60


@dataclass(frozen=True)
class ReferenceCalendar:
    time_zone: ZoneInfo
    weekly_hours: Mapping[int, Sequence[tuple[time, time]]]
    holidays: Container[date]

    def is_business_minute(self, t: datetime) -> bool:
        """Whether the UTC minute that starts at ``t`` is business time."""
        wall = t.astimezone(self.time_zone)
        day = wall.date()
        if day in self.holidays:
            return False
        clock = wall.time().replace(tzinfo=None)
        for opening, closing in self.weekly_hours.get(day.weekday(), ()):
            if closing == time(0):
                if opening <= clock:
                    return True
            elif opening <= clock < closing:
                return True
        return False

    def add(self, start: datetime, minutes: int) -> datetime:
        """The UTC instant at which ``minutes`` business minutes have passed since ``start``."""
        t = _whole_utc_minute(start)
        counted = 0
        walked = 0
        while counted < minutes:
            if self.is_business_minute(t):
                counted += 1
            t += ONE_MINUTE
            walked += 1
            if walked > MAX_MINUTES_WALKED:
                raise RuntimeError("the reference walked too far: no business time?")
        return t

    def between(self, start: datetime, end: datetime) -> int:
        """The number of business minutes in ``[start, end)``."""
        t = _whole_utc_minute(start)
        end = _whole_utc_minute(end)
        counted = 0
        while t < end:
            if self.is_business_minute(t):
                counted += 1
            t += ONE_MINUTE
        return counted


def _whole_utc_minute(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the reference needs aware datetimes")
    instant = instant.astimezone(UTC)
    if instant.second or instant.microsecond:
        raise ValueError(f"the reference only walks from whole UTC minutes, not {instant.isoformat()}")
    return instant


def reference_add(calendar: ReferenceCalendar, start: datetime, minutes: int) -> datetime:
    return calendar.add(start, minutes)


def reference_between(calendar: ReferenceCalendar, start: datetime, end: datetime) -> int:
    return calendar.between(start, end)
