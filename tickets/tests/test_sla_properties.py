"""Property-based tests of the business-time arithmetic in ``tickets.sla`` (DOMAIN.md §8).

``BusinessCalendar`` lays intervals out in UTC and answers with binary searches; the reference in
``reference_calendar.py`` walks minute by minute and asks, of each UTC minute, whether its wall-clock
time in the zone is open. The two are compared on start instants weighted towards the days where the
arithmetic goes wrong: daylight-saving switches (found with zoneinfo), public holidays and the days
before them, Friday afternoons, weekends, nights and the exact opening and closing minutes.

Three calendars: the contract calendar (``brussels_calendar()``), a New York calendar with a lunch
break, a Saturday morning and two one-off holidays, and a Brussels "night desk" whose Sunday is open
all day (so the 23- and 25-hour switch days are counted inside business hours) and whose weekday
evenings close at midnight (``time(0)``). No database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_lists
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tickets.sla import YEARS_PER_BLOCK, BusinessCalendar, brussels_calendar
from tickets.tests.reference_calendar import ReferenceCalendar, reference_add, reference_between

BRUSSELS = ZoneInfo("Europe/Brussels")
NEW_YORK = ZoneInfo("America/New_York")
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2028, 12, 31)
YEARS = range(FIRST_DAY.year, LAST_DAY.year + 1)
MINUTE = timedelta(minutes=1)
MAX_BUSINESS_MINUTES = 120 * 60  # three weeks of business time and then some: the reference stays fast

# Example counts keep the module under about twenty seconds. No example database (nothing to replay between runs).
AGAINST_REFERENCE = settings(max_examples=150, deadline=None, database=None)  # walks weeks of minutes
CHEAP = settings(max_examples=300, deadline=None, database=None)  # the calendar alone
FRESH_CALENDARS = settings(max_examples=60, deadline=None, database=None)  # lays out nine years each time


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


# --- the interesting days, found rather than hard-coded ---------------------------------------------


def dst_switch_days(zone: ZoneInfo, years: range) -> list[date]:
    """The days whose local midnight and next local midnight have different UTC offsets."""
    found = []
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        here = datetime.combine(day, time(0), zone).utcoffset()
        there = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
        if here != there:
            found.append(day)
        day += timedelta(days=1)
    return found


# The reference's own holiday set: the ``holidays`` package (BE), as DOMAIN.md §8 says, as plain dates.
# Much wider than the 2025-2028 window: additions run into 2029 and the questions-in-any-order test moves
# its instants by up to ten years either way.
BE_HOLIDAYS = frozenset(holiday_lists.country_holidays("BE", years=range(2010, 2045)))
NEW_YORK_HOLIDAYS = frozenset({date(2026, 7, 3), date(2026, 11, 26)})

BRUSSELS_SWITCH_DAYS = dst_switch_days(BRUSSELS, YEARS)
NEW_YORK_SWITCH_DAYS = dst_switch_days(NEW_YORK, YEARS)


# --- the calendars under test and their references ----------------------------------------------------

NINE_TO_FIVE = {weekday: [(time(9), time(17))] for weekday in range(5)}
NEW_YORK_HOURS = {
    **{weekday: [(time(8, 30), time(12)), (time(13), time(17, 30))] for weekday in range(5)},
    5: [(time(9), time(13))],  # Saturday morning
}
NIGHT_DESK_HOURS = {
    **{weekday: [(time(22), time(0))] for weekday in range(5)},  # weekday evenings, closing at midnight
    6: [(time(0), time(0))],  # Sunday: all day, 23 or 25 hours long on a switch day
}


@dataclass(frozen=True)
class Case:
    """A calendar under test, its naive reference, and the days and clock times worth starting at."""

    name: str
    calendar: BusinessCalendar
    reference: ReferenceCalendar
    switch_days: list[date]
    holidays: list[date]

    def __repr__(self) -> str:  # short pytest ids and hypothesis reports
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return self.reference.time_zone

    @property
    def boundaries(self) -> list[time]:
        """Every opening and closing time of the week, a minute either side, and some fixed ones."""
        found = {time(0), time(2, 30), time(3), time(12), time(23, 59)}
        for hours in self.reference.weekly_hours.values():
            for opening, closing in hours:
                for clock in (opening, closing):
                    minutes = clock.hour * 60 + clock.minute
                    for nudge in (-1, 0, 1):
                        found.add(_clock((minutes + nudge) % (24 * 60)))
        return sorted(found)


def _clock(minute_of_day: int) -> time:
    return time(minute_of_day // 60, minute_of_day % 60)


BRUSSELS_CASE = Case(
    "brussels",
    brussels_calendar(),
    ReferenceCalendar(BRUSSELS, NINE_TO_FIVE, BE_HOLIDAYS),
    BRUSSELS_SWITCH_DAYS,
    sorted(day for day in BE_HOLIDAYS if FIRST_DAY <= day <= LAST_DAY),
)
NEW_YORK_CASE = Case(
    "new-york",
    BusinessCalendar(time_zone="America/New_York", weekly_hours=NEW_YORK_HOURS, holidays=NEW_YORK_HOLIDAYS),
    ReferenceCalendar(NEW_YORK, NEW_YORK_HOURS, NEW_YORK_HOLIDAYS),
    NEW_YORK_SWITCH_DAYS,
    sorted(NEW_YORK_HOLIDAYS),
)
NIGHT_DESK_CASE = Case(
    "night-desk",
    BusinessCalendar(time_zone=BRUSSELS, weekly_hours=NIGHT_DESK_HOURS, holidays=BE_HOLIDAYS),
    ReferenceCalendar(BRUSSELS, NIGHT_DESK_HOURS, BE_HOLIDAYS),
    BRUSSELS_SWITCH_DAYS,
    sorted(day for day in BE_HOLIDAYS if FIRST_DAY <= day <= LAST_DAY),
)
CASES = [BRUSSELS_CASE, NEW_YORK_CASE, NIGHT_DESK_CASE]


# --- strategies -----------------------------------------------------------------------------------------


def _on_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _wall_clock_minute(zone: ZoneInfo, day: date, clock: time, fold: int, nudge: int) -> datetime:
    """A local wall-clock time as a whole UTC minute (a time in a gap or fold resolves by ``fold``)."""
    return datetime.combine(day, clock, zone).replace(fold=fold).astimezone(UTC) + nudge * MINUTE


# The turn of the year: the calendar lays out whole years, so an answer spanning New Year spans two.
year_end_days = st.builds(date, st.sampled_from(YEARS), st.just(12), st.integers(20, 31))


# Built once per calendar: rebuilding the strategy for every draw made the module several times slower.
_STARTS: dict[str, st.SearchStrategy[datetime]] = {}


def starts(case: Case) -> st.SearchStrategy[datetime]:
    """Whole UTC minutes in 2025-2028, weighted towards the days and times where business time is hard."""
    if case.name not in _STARTS:
        _STARTS[case.name] = _starts(case)
    return _STARTS[case.name]


def _starts(case: Case) -> st.SearchStrategy[datetime]:
    any_day = st.dates(FIRST_DAY, LAST_DAY)
    around_switch = st.builds(lambda d, k: d + timedelta(days=k), st.sampled_from(case.switch_days), st.integers(-2, 2))
    # The holiday, the day before, and the Friday before a Monday holiday (k = -3).
    around_holiday = st.builds(
        lambda d, k: d + timedelta(days=k), st.sampled_from(case.holidays), st.sampled_from([-3, -1, -1, 0, 1])
    )
    friday = any_day.map(lambda d: _on_weekday(d, 4))
    weekend = st.builds(lambda d, k: _on_weekday(d, 5) + timedelta(days=k), any_day, st.integers(0, 1))
    days = st.one_of(around_switch, around_holiday, friday, weekend, year_end_days, any_day)

    any_clock = st.integers(0, 24 * 60 - 1).map(_clock)
    night = st.one_of(st.integers(0, 9 * 60 - 1), st.integers(17 * 60, 24 * 60 - 1)).map(_clock)
    four_something = st.integers(16 * 60, 17 * 60 - 1).map(_clock)
    clocks = st.one_of(st.sampled_from(case.boundaries), four_something, night, any_clock)

    nudges = st.sampled_from([0, 0, 0, 0, -1, 1])
    weighted = st.builds(_wall_clock_minute, st.just(case.zone), days, clocks, st.integers(0, 1), nudges)
    friday_afternoon = st.builds(_wall_clock_minute, st.just(case.zone), friday, four_something, st.just(0), nudges)
    window = int((datetime.combine(LAST_DAY, time(0), UTC) - datetime.combine(FIRST_DAY, time(0), UTC)) / MINUTE)
    uniform = st.integers(0, window).map(lambda m: datetime.combine(FIRST_DAY, time(0), UTC) + m * MINUTE)
    return st.one_of(weighted, friday_afternoon, uniform)


# Business minutes: zero, an hour-ish, a day-ish (around 480 = one Brussels day), up to three weeks.
business_minutes = st.one_of(
    st.just(0),
    st.integers(1, 60),
    st.integers(1, 8 * 60),
    st.sampled_from([1, 59, 60, 61, 479, 480, 481, 2400, 2401]),
    st.integers(1, MAX_BUSINESS_MINUTES),
)
sub_minute = st.integers(0, 60 * 1_000_000 - 1).map(lambda us: timedelta(microseconds=us))


# --- the reference is what it says -----------------------------------------------------------------------


def test_dst_switch_days_found_with_zoneinfo_include_the_ones_domain_names():
    assert len(BRUSSELS_SWITCH_DAYS) == 2 * len(YEARS)
    for day in (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)):
        assert day in BRUSSELS_SWITCH_DAYS
    assert date(2027, 3, 28) in BE_HOLIDAYS and date(2027, 3, 29) in BE_HOLIDAYS  # Easter right on the switch
    assert len(NEW_YORK_SWITCH_DAYS) == 2 * len(YEARS)


def test_the_weekday_holidays_of_2027_are_off():
    """DOMAIN.md §8's 2027 list (the 2026 one is in test_sla.py)."""
    calendar = brussels_calendar()
    for month, day in [(1, 1), (3, 29), (5, 6), (5, 17), (7, 21), (11, 1), (11, 11)]:
        assert not calendar.is_working_day(date(2027, month, day)), (month, day)
    assert calendar.is_working_day(date(2027, 11, 2))


def test_the_reference_agrees_with_hand_computed_deadlines():
    reference = BRUSSELS_CASE.reference
    assert reference_add(reference, local(BRUSSELS, 2026, 11, 27, 16, 30), 60) == local(BRUSSELS, 2026, 11, 30, 9, 30)
    assert reference_add(reference, local(BRUSSELS, 2027, 3, 26, 16), 120) == local(BRUSSELS, 2027, 3, 30, 10)
    assert reference_add(reference, local(BRUSSELS, 2026, 11, 25, 17), 0) == local(BRUSSELS, 2026, 11, 25, 17)
    # A deadline can fall at closing time; it is not pushed to the next opening.
    assert reference_add(reference, local(BRUSSELS, 2026, 11, 25, 9), 480) == local(BRUSSELS, 2026, 11, 25, 17)
    assert reference_between(reference, local(BRUSSELS, 2026, 10, 23, 16), local(BRUSSELS, 2026, 10, 26, 10)) == 120
    # The night desk's autumn-switch Sunday has 25 open hours, the spring one 23.
    night = NIGHT_DESK_CASE.reference
    assert reference_between(night, local(BRUSSELS, 2026, 10, 25), local(BRUSSELS, 2026, 10, 26)) == 25 * 60
    assert reference_between(night, local(BRUSSELS, 2026, 3, 29), local(BRUSSELS, 2026, 3, 30)) == 23 * 60


# --- explicit examples (DOMAIN.md §8: switch weekends, 16:59:59 before a holiday, Easter Monday 2027) ----


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        # Friday 16:30 + 1 h -> Monday 09:30.
        (local(BRUSSELS, 2026, 11, 27, 16, 30), timedelta(hours=1), local(BRUSSELS, 2026, 11, 30, 9, 30)),
        # Thursday 24 December 16:59:59 + 1 min: the 25th is a holiday, then the weekend.
        (local(BRUSSELS, 2026, 12, 24, 16, 59, 59), MINUTE, local(BRUSSELS, 2026, 12, 28, 9, 0, 59)),
        # Friday before Easter Monday 2026 (the switch was the week before), 16:59:59 + 1 min.
        (local(BRUSSELS, 2026, 4, 3, 16, 59, 59), MINUTE, local(BRUSSELS, 2026, 4, 7, 9, 0, 59)),
        # Friday 26 March 2027 16:00 + 2 h: the switch on Sunday 28 (Easter), then Easter Monday 29.
        (local(BRUSSELS, 2027, 3, 26, 16), timedelta(hours=2), local(BRUSSELS, 2027, 3, 30, 10)),
        (local(BRUSSELS, 2027, 3, 26, 16, 59, 59), MINUTE, local(BRUSSELS, 2027, 3, 30, 9, 0, 59)),
        # The autumn switch weekend of 2026 (Sunday 25 October).
        (local(BRUSSELS, 2026, 10, 23, 16), timedelta(hours=2), local(BRUSSELS, 2026, 10, 26, 10)),
        # The autumn switch weekend of 2027 (Sunday 31 October) and All Saints' Monday.
        (local(BRUSSELS, 2027, 10, 29, 16), timedelta(hours=2), local(BRUSSELS, 2027, 11, 2, 10)),
    ],
)
def test_add_examples(start, duration, due):
    calendar = brussels_calendar()
    assert calendar.add(start, duration) == due
    assert calendar.add(start, duration).utcoffset() == timedelta(0)
    assert calendar.between(start, due) == duration


def test_the_winter_and_summer_offsets_show_in_utc():
    """Same wall-clock deadline, one hour apart in UTC across the spring switch of 2026."""
    calendar = brussels_calendar()
    assert calendar.add(local(BRUSSELS, 2026, 3, 27, 16), timedelta(hours=2)) == utc(2026, 3, 30, 8)
    assert calendar.add(local(BRUSSELS, 2026, 3, 20, 16), timedelta(hours=2)) == utc(2026, 3, 23, 9)


# --- properties against the reference ----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=repr)
@AGAINST_REFERENCE
@given(data=st.data())
def test_add_matches_the_minute_by_minute_reference(case, data):
    start = data.draw(starts(case), label="start")
    minutes = data.draw(business_minutes, label="minutes")
    due = case.calendar.add(start, timedelta(minutes=minutes))
    assert due.utcoffset() == timedelta(0)
    assert due == reference_add(case.reference, start, minutes)


@pytest.mark.parametrize("case", CASES, ids=repr)
@AGAINST_REFERENCE
@given(data=st.data())
def test_between_matches_the_minute_by_minute_reference(case, data):
    start = data.draw(starts(case), label="start")
    end = start + data.draw(st.integers(0, 10 * 24 * 60), label="minutes later") * MINUTE
    assert case.calendar.between(start, end) == reference_between(case.reference, start, end) * MINUTE
    assert case.calendar.between(end, start) == timedelta(0)


@pytest.mark.parametrize("case", CASES, ids=repr)
@CHEAP
@given(data=st.data())
def test_is_open_matches_the_reference_minute(case, data):
    instant = data.draw(starts(case), label="instant")
    assert case.calendar.is_open(instant) == case.reference.is_business_minute(instant)


# --- properties of the calendar alone (cheap: no reference, so any instant and longer durations) -------


@pytest.mark.parametrize("case", CASES, ids=repr)
@CHEAP
@given(data=st.data())
def test_between_measures_back_what_add_added(case, data):
    """Also from starts with seconds and microseconds, and for durations of up to about five years
    (which make the calendar lay out more years as it goes)."""
    start = data.draw(starts(case), label="start") + data.draw(sub_minute, label="sub-minute start")
    duration = data.draw(
        st.one_of(
            business_minutes.map(lambda m: m * MINUTE),
            st.builds(lambda m, extra: m * MINUTE + extra, business_minutes, sub_minute),
            st.integers(1, 10_000 * 60).map(lambda m: m * MINUTE),
        ),
        label="duration",
    )
    due = case.calendar.add(start, duration)
    assert due >= start
    assert case.calendar.between(start, due) == duration


@pytest.mark.parametrize("case", CASES, ids=repr)
@CHEAP
@given(data=st.data())
def test_add_is_additive(case, data):
    """``add(add(s, d1), d2) == add(s, d1 + d2)`` for every d1, d2 >= 0, even when ``add(s, d1)`` lands on a
    closing time: ``add`` answers the *first* instant at which the business time counted since the start
    reaches the target, and a closing time is such a first instant (the deadline is not pushed to the next
    opening). Counting on from there, the closed stretch adds nothing, so both sides reach d1 + d2 at the
    same first instant. Zero durations are included: ``add(s, 0) == s`` even outside hours.

    What is *not* true, and not asserted: ``add(s, between(s, e)) == e``. When ``e`` is outside hours (or
    exactly at an opening after a closed stretch), ``add`` gives the earlier instant at which that business
    time was already reached, e.g. Friday 17:00 for a Saturday ``e``. Only ``<= e`` with no business time
    in between holds; that is asserted in the next test."""
    start = data.draw(starts(case), label="start") + data.draw(sub_minute, label="sub-minute start")
    first = data.draw(business_minutes, label="d1") * MINUTE
    second = data.draw(business_minutes, label="d2") * MINUTE
    calendar = case.calendar
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@pytest.mark.parametrize("case", CASES, ids=repr)
@CHEAP
@given(data=st.data())
def test_add_of_between_reaches_end_no_later_than_end(case, data):
    start = data.draw(starts(case), label="start") + data.draw(sub_minute, label="sub-minute start")
    end = start + data.draw(st.integers(0, 10 * 24 * 60), label="minutes later") * MINUTE
    calendar = case.calendar
    reached = calendar.add(start, calendar.between(start, end))
    assert start <= reached <= end
    assert calendar.between(reached, end) == timedelta(0)
    if calendar.is_open(end) and calendar.is_open(end - timedelta(microseconds=1)):
        assert reached == end  # inside an open interval, nothing earlier has the same business time


@pytest.mark.parametrize("case", CASES, ids=repr)
@CHEAP
@given(data=st.data())
def test_add_is_monotonic(case, data):
    first = data.draw(starts(case), label="first start")
    second = first + data.draw(st.integers(0, 5 * 24 * 60), label="minutes later") * MINUTE
    duration = data.draw(business_minutes, label="minutes") * MINUTE
    calendar = case.calendar
    assert calendar.add(first, duration) <= calendar.add(second, duration)
    assert calendar.add(first, duration) <= calendar.add(first, duration + MINUTE)


@pytest.mark.parametrize("case", CASES, ids=repr)
@CHEAP
@given(data=st.data())
def test_intervals_add_up_to_between(case, data):
    start = data.draw(starts(case), label="start") + data.draw(sub_minute, label="sub-minute start")
    end = start + data.draw(st.integers(0, 10 * 24 * 60), label="minutes later") * MINUTE
    calendar = case.calendar
    found = calendar.intervals(start, end)
    assert sum((closes - opens for opens, closes in found), timedelta(0)) == calendar.between(start, end)
    previous_close = start
    for opens, closes in found:
        assert previous_close <= opens < closes <= end
        assert calendar.is_open(opens)
        assert calendar.is_open(closes - timedelta(microseconds=1))
        previous_close = closes


# --- answers must not depend on what the calendar was asked before ------------------------------------
#
# A calendar lays out YEARS_PER_BLOCK (4) years either side of the first instant it is asked about and
# grows that layout when asked about a year at or past its edge. The long-lived calendar of
# monitoring/overdue.py is asked about many instants; its answers must be those of a fresh calendar.


# Years to ask about first, relative to the start: around the edges of a layout block, and anywhere near.
warm_up_offsets = st.one_of(
    st.sampled_from([-YEARS_PER_BLOCK - 1, -YEARS_PER_BLOCK, YEARS_PER_BLOCK, YEARS_PER_BLOCK + 1]),
    st.integers(-2 * YEARS_PER_BLOCK, 2 * YEARS_PER_BLOCK),
)


def _warmed_up(case: Case, year: int) -> BusinessCalendar:
    calendar = BusinessCalendar(
        time_zone=case.calendar.time_zone, weekly_hours=case.calendar.weekly_hours, holidays=case.calendar.holidays
    )
    calendar.is_open(utc(year, 6, 15, 12))
    return calendar


@pytest.mark.parametrize("case", CASES, ids=repr)
@FRESH_CALENDARS
@given(data=st.data())
def test_add_and_is_open_do_not_depend_on_earlier_questions(case, data):
    start = data.draw(starts(case), label="start")
    calendar = _warmed_up(case, start.year + data.draw(warm_up_offsets, label="warm-up year offset"))
    minutes = data.draw(business_minutes, label="minutes")
    assert calendar.add(start, minutes * MINUTE) == reference_add(case.reference, start, minutes)
    assert calendar.is_open(start) == case.reference.is_business_minute(start)


@FRESH_CALENDARS
@given(data=st.data())
@example(data=None).via("a regression: see test_between_across_the_first_year_of_the_layout")
def test_between_does_not_depend_on_earlier_questions(data):
    if data is None:  # the explicit example: asked about 2026 first, then across New Year 2022/2023
        start, end, warm_up_year = utc(2022, 12, 30, 12), utc(2023, 1, 3, 12), 2026
    else:
        if data.draw(st.booleans(), label="across New Year, the layout's first year ending near the start"):
            new_year = datetime(data.draw(st.sampled_from(YEARS), label="year"), 1, 1, 12, tzinfo=UTC)
            start = new_year - data.draw(st.integers(1, 7 * 24 * 60), label="minutes before") * MINUTE
            end = new_year + data.draw(st.integers(0, 7 * 24 * 60), label="minutes after") * MINUTE
            edges = [YEARS_PER_BLOCK - 1, YEARS_PER_BLOCK, YEARS_PER_BLOCK + 1, -YEARS_PER_BLOCK]
            warm_up_year = start.year + data.draw(st.sampled_from(edges), label="warm-up year offset")
        else:
            start = data.draw(starts(BRUSSELS_CASE), label="start")
            end = start + data.draw(st.integers(0, 10 * 24 * 60), label="minutes later") * MINUTE
            warm_up_year = start.year + data.draw(warm_up_offsets, label="warm-up year offset")
    calendar = _warmed_up(BRUSSELS_CASE, warm_up_year)
    assert calendar.between(start, end) == reference_between(BRUSSELS_CASE.reference, start, end) * MINUTE


def test_between_across_the_first_year_of_the_layout():
    calendar = brussels_calendar()
    calendar.is_open(utc(2026, 6, 1))  # lays out 2022-2030
    # 30 Dec 2022 12:00 UTC to 3 Jan 2023 12:00 UTC: Fri 30 Dec 13:00-17:00 local, Mon 2 Jan 09:00-17:00 local,
    # Tue 3 Jan 09:00-13:00 local (1 Jan 2023 is a Sunday). Before between() laid out both ends first, it read
    # the end from the 2022-2030 layout and the start from a 2018-2030 one: -337 days.
    assert calendar.between(utc(2022, 12, 30, 12), utc(2023, 1, 3, 12)) == timedelta(hours=16)


def _question(case: Case) -> st.SearchStrategy[tuple[str, datetime, int]]:
    """add, between or is_open, about an instant of ``starts`` moved by up to ten years (whole 52-week
    steps, which keep the weekday), with minutes to add or to measure."""
    moved = st.builds(lambda start, steps: start + timedelta(weeks=52 * steps), starts(case), st.integers(-10, 10))
    minutes = st.one_of(business_minutes, st.integers(0, 10 * 24 * 60))
    return st.tuples(st.sampled_from(["add", "between", "is_open"]), moved, minutes)


@pytest.mark.parametrize("case", CASES, ids=repr)
@FRESH_CALENDARS
@given(data=st.data())
def test_answers_do_not_depend_on_the_order_of_questions(case, data):
    """One fresh calendar, asked a few questions in a random order over two decades, as a long-lived
    calendar is: every answer must be the reference's."""
    calendar = BusinessCalendar(
        time_zone=case.calendar.time_zone, weekly_hours=case.calendar.weekly_hours, holidays=case.calendar.holidays
    )
    for kind, instant, minutes in data.draw(st.lists(_question(case), min_size=1, max_size=6), label="questions"):
        if kind == "add":
            assert calendar.add(instant, minutes * MINUTE) == reference_add(case.reference, instant, minutes)
        elif kind == "between":
            end = instant + minutes * MINUTE
            assert calendar.between(instant, end) == reference_between(case.reference, instant, end) * MINUTE
        else:
            assert calendar.is_open(instant) == case.reference.is_business_minute(instant)
