"""Business time and SLA clocks: the arithmetic an auditor can check. No Django here.

A ``BusinessCalendar`` is a time zone, weekly opening hours and a set of holidays. It lays the open
intervals out in UTC, one by one, building each from local wall-clock times, so a daylight-saving
change moves an interval instead of stretching it (DOMAIN.md §8). It keeps, per interval, the
business time that came before it; adding and measuring are then a binary search and a subtraction,
never a walk over minutes or days.

``clock_state`` replays the clock rows of one ticket (start, pause, resume, fulfil) against a target
and a calendar. Deadlines are never stored as the truth: they are recomputed from the rows, so a
changed policy or calendar gives new deadlines without losing what happened.
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays as holiday_lists

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MONDAY_TO_FRIDAY_9_TO_5: dict[int, tuple[tuple[time, time], ...]] = {
    weekday: ((time(9), time(17)),) for weekday in range(5)
}
# A calendar lays out this many years at a time around the instants it is asked about.
YEARS_PER_BLOCK = 4
FIRST_YEAR, LAST_YEAR = 1990, 2200


def to_us(instant: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch: exact, unlike a float timestamp."""
    if instant.tzinfo is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
    return (instant - EPOCH) // MICROSECOND


def _instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class BusinessCalendar:
    """Weekly opening hours in a time zone, minus holidays.

    ``weekly_hours`` maps a weekday (Monday 0) to its open intervals in local time, in order and not
    overlapping (``time(0)`` as an end means midnight). ``holidays`` answers ``day in holidays``.
    ``name`` and ``version`` are carried so an SLA explanation can say which calendar it used.
    """

    def __init__(
        self,
        *,
        time_zone: ZoneInfo | str,
        weekly_hours: Mapping[int, Sequence[tuple[time, time]]] = MONDAY_TO_FRIDAY_9_TO_5,
        holidays: Container[date] = frozenset(),
        name: str = "",
        version: int = 1,
    ) -> None:
        self.time_zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        self.weekly_hours = {day: tuple(hours) for day, hours in weekly_hours.items() if hours}
        self.holidays = holidays
        self.name = name
        self.version = version
        # Open intervals in microseconds since the epoch, and the business time before each.
        self._opens: list[int] = []
        self._closes: list[int] = []
        self._before: list[int] = []
        self._cumulative_ends: list[int] = []
        self._years: tuple[int, int] | None = None
        self._safe_low, self._safe_high = 0, 0
        self._last: tuple[int | None, int] = (None, 0)  # the last instant measured, and its value

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name or self.time_zone.key!r} v{self.version})"

    # --- the questions ---------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekly_hours and day not in self.holidays

    def is_open(self, instant: datetime) -> bool:
        us = to_us(instant)
        self._cover(us)
        index = bisect.bisect_right(self._opens, us) - 1
        return index >= 0 and us < self._closes[index]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of business time has passed since ``start`` (in UTC).

        Started outside hours, the clock starts at the next opening; the result is the exact instant
        the count reaches ``duration`` (a deadline can fall at closing time). A zero or negative
        duration gives ``start``.
        """
        if duration <= timedelta(0):
            return start.astimezone(UTC)
        target = self._business(to_us(start)) + duration // MICROSECOND
        self._cover_business(target)
        # The first interval whose cumulative end reaches the target holds the deadline.
        index = bisect.bisect_left(self._cumulative_ends, target)
        return _instant(self._opens[index] + target - self._before[index])

    def run_us(self, low: int, high: int, budget: int) -> tuple[int, int]:
        """For a clock running from ``low`` to ``high`` (microseconds) with ``budget`` left: the business
        time it counted, and the instant the budget runs out (``between`` and ``add`` at the cost of one)."""
        self._cover(low)
        self._cover(high)
        started = self._business(low)
        counted = max(0, self._business(high) - started) if high > low else 0
        if budget <= 0:
            return counted, low
        target = started + budget
        self._cover_business(target)
        index = bisect.bisect_left(self._cumulative_ends, target)
        return counted, self._opens[index] + target - self._before[index]

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (zero when ``end`` is not later)."""
        if end <= start:
            return timedelta(0)
        low, high = to_us(start), to_us(end)
        # Lay out both ends first: laying out an earlier year afterwards would shift every sum.
        self._cover(low)
        self._cover(high)
        return timedelta(microseconds=self._business(high) - self._business(low))

    def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals (UTC) that lie between ``start`` and ``end``, cut to them."""
        low, high = to_us(start), to_us(end)
        self._cover(low)
        self._cover(high)
        index = max(0, bisect.bisect_right(self._opens, low) - 1)
        found = []
        while index < len(self._opens) and self._opens[index] < high:
            opens, closes = max(self._opens[index], low), min(self._closes[index], high)
            if opens < closes:
                found.append((_instant(opens), _instant(closes)))
            index += 1
        return found

    # --- the layout ------------------------------------------------------------------------------

    def _business(self, us: int) -> int:
        """Business microseconds from the start of the laid-out range to ``us``."""
        if us == self._last[0]:
            return self._last[1]  # "now", asked once per ticket by the bulk deadline computation
        self._cover(us)
        index = bisect.bisect_right(self._opens, us) - 1
        value = 0 if index < 0 else self._before[index] + min(us, self._closes[index]) - self._opens[index]
        self._last = (us, value)
        return value

    def _cover(self, us: int) -> None:
        if self._safe_low <= us < self._safe_high:
            return  # the common case: no date arithmetic at all
        year = _instant(us).year
        if self._years is None or not (self._years[0] < year < self._years[1]):
            low = year - YEARS_PER_BLOCK if self._years is None else min(self._years[0], year - YEARS_PER_BLOCK)
            high = year + YEARS_PER_BLOCK if self._years is None else max(self._years[1], year + YEARS_PER_BLOCK)
            self._lay_out(max(FIRST_YEAR, low), min(LAST_YEAR, high))

    def _cover_business(self, target: int) -> None:
        while not self._cumulative_ends or self._cumulative_ends[-1] < target:
            if self._years is None or self._years[1] >= LAST_YEAR:
                raise ValueError("no business time left in the calendar (no open day at all?)")
            self._lay_out(self._years[0], min(LAST_YEAR, self._years[1] + YEARS_PER_BLOCK))

    def _lay_out(self, first_year: int, last_year: int) -> None:
        opens, closes = [], []
        day, last = date(first_year, 1, 1), date(last_year, 12, 31)
        while day <= last:
            if self.is_working_day(day):
                for opening, closing in self.weekly_hours[day.weekday()]:
                    opens_at = datetime.combine(day, opening, self.time_zone)
                    closes_day = day + timedelta(days=1) if closing == time(0) else day
                    closes_at = datetime.combine(closes_day, closing, self.time_zone)
                    opens.append(to_us(opens_at.astimezone(UTC)))
                    closes.append(to_us(closes_at.astimezone(UTC)))
            day += timedelta(days=1)
        before, total, ends = [], 0, []
        for opening, closing in zip(opens, closes, strict=True):
            before.append(total)
            total += closing - opening
            ends.append(total)
        self._opens, self._closes, self._before, self._cumulative_ends = opens, closes, before, ends
        self._years = (first_year, last_year)
        self._last = (None, 0)  # sums start from a new origin
        # Inside these bounds an instant is laid out with a whole year to spare on either side.
        self._safe_low = to_us(datetime(first_year + 1, 1, 1, tzinfo=UTC))
        self._safe_high = to_us(datetime(last_year, 1, 1, tzinfo=UTC))


def brussels_calendar(*, extra_holidays: Iterable[date] = (), version: int = 1) -> BusinessCalendar:
    """The contract calendar: Monday to Friday 09:00-17:00 Europe/Brussels, Belgian public holidays off."""
    return BusinessCalendar(
        time_zone="Europe/Brussels",
        holidays=HolidayList("BE", extra_holidays),
        name="Brussels business hours",
        version=version,
    )


class HolidayList:
    """A country's public holidays (the ``holidays`` package, filled in year by year) plus one-off dates."""

    def __init__(self, country: str, extra: Iterable[date] = ()) -> None:
        self.country = country
        self.extra = frozenset(extra)
        self._public = holiday_lists.country_holidays(country) if country else {}

    def __contains__(self, day: object) -> bool:
        return day in self.extra or day in self._public


# --- SLA clocks ----------------------------------------------------------------------------------


class Clock:
    """The kinds of clock row (``SlaClockEvent.kind``)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    FULFIL = "fulfil"
    CANCEL = "cancel"  # the metric no longer applies (a ticket closed without the event it waits for)


START, PAUSE, RESUME, FULFIL, CANCEL = Clock.START, Clock.PAUSE, Clock.RESUME, Clock.FULFIL, Clock.CANCEL
STOPPING = frozenset({PAUSE, FULFIL, CANCEL})


class ClockRow(NamedTuple):
    """One clock row: when, which kind, and why (a tuple: a hundred thousand tickets make many)."""

    at: datetime
    kind: str
    reason: str = ""


@dataclass(slots=True)
class Segment:
    start: datetime
    end: datetime | None  # None: still running
    counted: timedelta


@dataclass(slots=True)
class Pause:
    start: datetime
    end: datetime | None
    reason: str


@dataclass(slots=True)
class ClockState:
    """One metric of one ticket, as its rows say at ``now``.

    Kept in integer microseconds (the arithmetic's own unit, exact and cheap); the properties give
    datetimes and timedeltas.
    """

    target_us: int
    started_us: int | None = None
    elapsed_us: int = 0  # business time counted up to ``now`` (or the fulfilment)
    due_us: int | None = None  # when the target is (or was) reached; None while paused or not started
    fulfilled_us: int | None = None
    cancelled: bool = False
    paused: bool = False
    breached_us: int | None = None
    runs: list[tuple[int, int | None, int]] = field(default_factory=list)  # (start, end or None, counted)
    pause_list: list[list] = field(default_factory=list)  # [start, end or None, reason]

    @property
    def target(self) -> timedelta:
        return timedelta(microseconds=self.target_us)

    @property
    def started_at(self) -> datetime | None:
        return None if self.started_us is None else _instant(self.started_us)

    @property
    def elapsed(self) -> timedelta:
        return timedelta(microseconds=self.elapsed_us)

    @property
    def due_at(self) -> datetime | None:
        return None if self.due_us is None else _instant(self.due_us)

    @property
    def fulfilled_at(self) -> datetime | None:
        return None if self.fulfilled_us is None else _instant(self.fulfilled_us)

    @property
    def breached_at(self) -> datetime | None:
        return None if self.breached_us is None else _instant(self.breached_us)

    @property
    def segments(self) -> list[Segment]:
        return [
            Segment(_instant(start), None if end is None else _instant(end), timedelta(microseconds=counted))
            for start, end, counted in self.runs
        ]

    @property
    def pauses(self) -> list[Pause]:
        return [
            Pause(_instant(start), None if end is None else _instant(end), reason)
            for start, end, reason in self.pause_list
        ]

    @property
    def remaining(self) -> timedelta:
        return timedelta(microseconds=max(0, self.target_us - self.elapsed_us))

    @property
    def is_running(self) -> bool:
        return self.started_us is not None and not (self.paused or self.fulfilled_us is not None or self.cancelled)

    @property
    def is_breached(self) -> bool:
        return self.breached_us is not None

    @property
    def used(self) -> float:
        """The share of the target used (1.0 at the deadline)."""
        return self.elapsed_us / self.target_us if self.target_us else 0.0


def clock_state(
    rows: Iterable[ClockRow], *, target: timedelta, calendar: BusinessCalendar, now: datetime
) -> ClockState:
    """Replay one metric's rows (any order) and say where its clock stands at ``now``; see
    ``clock_state_us``."""
    ordered = sorted(((to_us(row.at), row.kind, row.reason) for row in rows), key=lambda row: row[0])
    return clock_state_us(ordered, target_us=target // MICROSECOND, calendar=calendar, now_us=to_us(now))


def clock_state_us(
    rows: Iterable[tuple[int, str, str]], *, target_us: int, calendar: BusinessCalendar, now_us: int
) -> ClockState:
    """Replay one metric's rows ``(at in microseconds, kind, reason)``, in time order, at ``now_us``.

    Only open business time between a start (or resume) and the next pause, fulfilment, cancel or
    ``now`` counts. A running clock is due when what remains of the target, added from where it last
    resumed, is used up; a paused clock keeps its remaining time. A clock is breached at its due
    instant if it was still running then, even if it was paused or fulfilled later.
    """
    state = ClockState(target_us=target_us)
    runs: list[list] = []
    running = False
    for at, kind, reason in rows:
        if at > now_us or state.fulfilled_us is not None or state.cancelled:
            break
        if kind == START:
            if state.started_us is None:
                state.started_us = at
                runs.append([at, None])
                running = True
        elif kind == RESUME:
            if state.paused:
                state.paused = False
                state.pause_list[-1][1] = at
                runs.append([at, None])
                running = True
        elif kind in STOPPING and (running or state.paused):
            if running:
                runs[-1][1] = at
                running = False
                if kind == PAUSE:
                    state.paused = True
                    state.pause_list.append([at, None, reason])
                    continue
            if kind == FULFIL:
                state.fulfilled_us = at
            elif kind == CANCEL:
                state.cancelled = True
            if kind != PAUSE and state.paused:
                state.paused = False
                state.pause_list[-1][1] = at
    for start, end in runs:
        stop = now_us if end is None else end
        counted, due = calendar.run_us(start, stop, target_us - state.elapsed_us)
        # Breached if the target was used up while this run was still going (a running clock: by now).
        if state.breached_us is None and (due < stop or (end is None and due <= now_us)):
            state.breached_us = due
        state.due_us = due
        state.elapsed_us += counted
        state.runs.append((start, end, counted))
    if state.paused:
        state.due_us = None
    return state
