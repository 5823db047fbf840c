"""What the insights page counts: alerts per day, SLA compliance per week, the age of the backlog and
declarations by status.

Each function runs one aggregate query (GROUP BY in the database, never a query per day or per row)
through the tenant-scoped querysets of the domain apps, and returns small frozen dataclasses that the
view hands to ``dashboard.charts`` and the templates. ``now`` is a parameter so tests pin the clock.

Days and weeks are those of the desk (``settings.TIME_ZONE``), not of the reader: an agent in
another zone must see the same bars as the rest of the team.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from accounts.models import User
from declarations.models import Declaration
from declarations.selectors import declaration_queryset_for_user
from monitoring.models import AlertKind
from monitoring.selectors import alert_queryset_for_user
from tickets.models import Ticket
from tickets.selectors import ticket_queryset_for_user

ALERT_DAYS = 14
SLA_WEEKS = 12
# How long the declaration count is reused: the table may hold a million rows and every open
# insights page polls once a minute.
DECLARATION_COUNT_SECONDS = 60

# The five business-critical categories (DOMAIN.md §4) get a colour each; the other kinds share one
# layer, because sixteen colours in one stack cannot be told apart.
CHART_ALERT_KINDS = (
    AlertKind.VALIDATION_VIOLATION,
    AlertKind.CUSTOMS_ERROR,
    AlertKind.PROVIDER_ERROR,
    AlertKind.SENDING_ERROR,
    AlertKind.RELEASE_NOT_RECEIVED,
)
OTHER_KINDS_KEY = "other"


def desk_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Brussels never changes its clocks at midnight, so local midnight always exists exactly once.
    return datetime.combine(day, time.min, tzinfo=zone)


@dataclass(frozen=True)
class SeriesInfo:
    key: str
    label: str


# --- Alerts per category per day ---------------------------------------------------------------------


@dataclass(frozen=True)
class AlertDay:
    day: date
    counts: tuple[int, ...]  # one per AlertsPerDay.series, in that order

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class AlertsPerDay:
    series: tuple[SeriesInfo, ...]
    days: tuple[AlertDay, ...]
    # What the "other" layer is made of over the whole period, largest first: (label, count).
    other_kinds: tuple[tuple[str, int], ...]
    zone: str

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day


def alert_counts_per_day(*, user: User, now: datetime | None = None, days: int = ALERT_DAYS) -> AlertsPerDay:
    """Alerts by the desk day they were first seen (``first_seen_at``: a recurrence of the same alert
    adds an occurrence, not an alert), the last ``days`` days up to and including today."""
    now = now or timezone.now()
    zone = desk_zone()
    today = timezone.localtime(now, zone).date()
    first_day = today - timedelta(days=days - 1)
    rows = (
        alert_queryset_for_user(user=user)
        .filter(
            first_seen_at__gte=_midnight(first_day, zone), first_seen_at__lt=_midnight(today + timedelta(days=1), zone)
        )
        .annotate(day=TruncDate("first_seen_at", tzinfo=zone))
        .values("day", "kind")
        .annotate(alerts=Count("id"))
        .order_by()
    )
    chart_kinds = [kind.value for kind in CHART_ALERT_KINDS]
    series = (
        *(SeriesInfo(key=kind.value, label=kind.label) for kind in CHART_ALERT_KINDS),
        SeriesInfo(key=OTHER_KINDS_KEY, label="Other kinds"),
    )
    counts: dict[tuple[date, str], int] = defaultdict(int)
    others: dict[str, int] = defaultdict(int)
    for row in rows:
        key = row["kind"] if row["kind"] in chart_kinds else OTHER_KINDS_KEY
        counts[row["day"], key] += row["alerts"]
        if key == OTHER_KINDS_KEY:
            others[row["kind"]] += row["alerts"]
    labels = dict(AlertKind.choices)
    return AlertsPerDay(
        series=series,
        days=tuple(
            AlertDay(day=day, counts=tuple(counts[day, info.key] for info in series))
            for day in (first_day + timedelta(days=offset) for offset in range(days))
        ),
        other_kinds=tuple(
            (labels.get(kind, kind), total) for kind, total in sorted(others.items(), key=lambda item: -item[1])
        ),
        zone=settings.TIME_ZONE,
    )


# --- SLA compliance per week -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaWeek:
    week_start: date  # the Monday
    met: int
    breached: int
    is_current: bool

    @property
    def resolved(self) -> int:
        return self.met + self.breached

    @property
    def iso_week(self) -> int:
        return self.week_start.isocalendar().week

    @property
    def compliance(self) -> int | None:
        """Percentage met, rounded down: 999 of 1,000 is 99%, never a reassuring 100%."""
        if not self.resolved:
            return None
        return self.met * 100 // self.resolved


@dataclass(frozen=True)
class SlaCompliance:
    weeks: tuple[SlaWeek, ...]

    @property
    def met(self) -> int:
        return sum(week.met for week in self.weeks)

    @property
    def resolved(self) -> int:
        return sum(week.resolved for week in self.weeks)

    @property
    def compliance(self) -> int | None:
        return self.met * 100 // self.resolved if self.resolved else None


def sla_compliance_per_week(*, user: User, now: datetime | None = None, weeks: int = SLA_WEEKS) -> SlaCompliance:
    """Tickets resolved in each of the last ``weeks`` ISO weeks (Monday to Sunday, the current week so
    far included), split by whether any of their SLA targets was breached."""
    now = now or timezone.now()
    zone = desk_zone()
    today = timezone.localtime(now, zone).date()
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    rows = (
        ticket_queryset_for_user(user=user)
        .filter(
            resolved_at__gte=_midnight(first_monday, zone),
            resolved_at__lt=_midnight(this_monday + timedelta(weeks=1), zone),
        )
        .annotate(week=TruncWeek("resolved_at", tzinfo=zone))
        .values("week")
        .annotate(met=Count("id", filter=Q(sla_breached=False)), breached=Count("id", filter=Q(sla_breached=True)))
        .order_by()
    )
    by_week = {timezone.localtime(row["week"], zone).date(): row for row in rows}
    result = []
    for offset in range(weeks):
        monday = first_monday + timedelta(weeks=offset)
        row = by_week.get(monday, {"met": 0, "breached": 0})
        result.append(
            SlaWeek(week_start=monday, met=row["met"], breached=row["breached"], is_current=monday == this_monday)
        )
    return SlaCompliance(weeks=tuple(result))


# --- Backlog age -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    at_least: timedelta
    under: timedelta | None


AGE_BUCKETS = (
    AgeBucket("under_1_day", "Under 1 day", timedelta(0), timedelta(days=1)),
    AgeBucket("days_1_3", "1\u20133 days", timedelta(days=1), timedelta(days=3)),
    AgeBucket("days_3_7", "3\u20137 days", timedelta(days=3), timedelta(days=7)),
    AgeBucket("weeks_1_2", "1\u20132 weeks", timedelta(days=7), timedelta(days=14)),
    AgeBucket("over_2_weeks", "Over 2 weeks", timedelta(days=14), None),
)


@dataclass(frozen=True)
class BacklogRow:
    key: str
    label: str
    counts: tuple[int, ...]  # one per BacklogAge.priorities, in that order

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class BacklogAge:
    priorities: tuple[SeriesInfo, ...]
    buckets: tuple[BacklogRow, ...]

    @property
    def total(self) -> int:
        return sum(bucket.total for bucket in self.buckets)

    @property
    def older_than_a_week(self) -> int:
        return sum(bucket.total for bucket in self.buckets if bucket.key in ("weeks_1_2", "over_2_weeks"))


def _age_filter(bucket: AgeBucket, now: datetime) -> Q:
    # Lower edge inclusive on age (a ticket exactly one day old is "1-3 days"). A created_at slightly
    # in the future (clock skew between workers) still counts as under a day rather than vanishing.
    condition = Q() if bucket.at_least == timedelta(0) else Q(created_at__lte=now - bucket.at_least)
    if bucket.under is not None:
        condition &= Q(created_at__gt=now - bucket.under)
    return condition


def backlog_age(*, user: User, now: datetime | None = None) -> BacklogAge:
    """Open tickets by age since they were created, one row per priority with a count per age bucket."""
    now = now or timezone.now()
    rows = (
        ticket_queryset_for_user(user=user)
        .filter(status__in=Ticket.OPEN_STATUSES)
        .values("priority")
        .annotate(**{bucket.key: Count("id", filter=_age_filter(bucket, now)) for bucket in AGE_BUCKETS})
        .order_by()
    )
    by_priority = {row["priority"]: row for row in rows}
    priorities = tuple(SeriesInfo(key=value, label=label) for value, label in Ticket.Priority.choices)
    return BacklogAge(
        priorities=priorities,
        buckets=tuple(
            BacklogRow(
                key=bucket.key,
                label=bucket.label,
                counts=tuple(by_priority.get(info.key, {}).get(bucket.key, 0) for info in priorities),
            )
            for bucket in AGE_BUCKETS
        ),
    )


# --- Declarations by status --------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    is_known: bool


@dataclass(frozen=True)
class DeclarationsByStatus:
    counted_at: datetime
    statuses: tuple[StatusCount, ...]  # largest first

    @property
    def total(self) -> int:
        return sum(status.count for status in self.statuses)


def _status_count(status: str, count: int) -> StatusCount:
    declaration = Declaration(status=status)  # unsaved: only to reuse the model's own wording
    return StatusCount(
        status=status,
        label=declaration.status_label if status else "No status yet",
        count=count,
        is_known=declaration.phase != "unknown",
    )


def declaration_counts_by_status(*, user: User, now: datetime | None = None) -> DeclarationsByStatus:
    """Declarations per status, counted with one GROUP BY and reused for ``DECLARATION_COUNT_SECONDS``.

    The cache key carries the reader's scope: staff share one count, a customer would get their own.
    Two requests that miss at once both count; that costs one extra query, not a wrong number.
    """
    scope = "all" if user.is_support_staff else f"organisation-{user.organisation_id}"
    key = f"dashboard:insights:declarations-by-status:{scope}"
    cached = cache.get(key)
    if cached is None:
        rows = (
            declaration_queryset_for_user(user=user)
            .values("status")
            .annotate(declarations=Count("id"))
            .order_by("-declarations", "status")
        )
        cached = (now or timezone.now(), [(row["status"], row["declarations"]) for row in rows])
        cache.set(key, cached, DECLARATION_COUNT_SECONDS)
    counted_at, rows = cached
    return DeclarationsByStatus(
        counted_at=counted_at, statuses=tuple(_status_count(status, count) for status, count in rows)
    )
