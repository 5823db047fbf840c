"""The SLA clocks of tickets: which policy applies, the clock rows a ticket's life writes, and the
deadlines recomputed from those rows (``tickets.sla`` does the arithmetic).

Three metrics (DOMAIN.md §8, issue 4): **first response** (fulfilled by an agent's public reply),
**next update** (started by a customer's reply once the first response is done, fulfilled by the next
agent public reply), **resolution** (fulfilled when the ticket is resolved; a reopened ticket starts a
new cycle). Every clock pauses while the ticket waits for the customer (``pending_customer``), and
while it waits for customs if the policy says so.

Rows are only ever added. Deadlines come from the rows and the policy's *current* targets, so a new
policy or calendar recomputes every deadline without losing what happened.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection as db
from django.utils import timezone

from .models import SlaCalendar, SlaClockEvent, SlaPolicy, Ticket
from .sla import EPOCH, MICROSECOND, BusinessCalendar, Clock, ClockState, HolidayList, clock_state_us, to_us

Metric = SlaClockEvent.Metric
Kind = SlaClockEvent.Kind
METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_UPDATE, Metric.RESOLUTION)
CLOCK_KINDS = frozenset({Kind.START, Kind.PAUSE, Kind.RESUME, Kind.FULFIL, Kind.CANCEL})
# The same as plain strings, for the loops that run once per row of a hundred thousand tickets.
_CLOCK_KINDS = frozenset(str(kind) for kind in CLOCK_KINDS)
_METRICS = tuple(str(metric) for metric in METRICS)
WARNING_SHARE = 0.75
DONE_STATUSES = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


# --- Policy and calendar -------------------------------------------------------------------------


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first enabled policy whose conditions all hold (blank matches anything)."""
    plan = ticket.organisation.support_plan
    for policy in SlaPolicy.objects.filter(is_enabled=True).select_related("calendar").order_by("position", "id"):
        if policy.match_plan and policy.match_plan != plan:
            continue
        if policy.match_priority and policy.match_priority != ticket.priority:
            continue
        if policy.match_ticket_type and policy.match_ticket_type != ticket.ticket_type:
            continue
        return policy
    return None


_calendars: dict[tuple[int, int], BusinessCalendar] = {}


def business_calendar(calendar: SlaCalendar) -> BusinessCalendar:
    """The arithmetic for a calendar row, built once per version (its layout is the costly part)."""
    key = (calendar.pk, calendar.version)
    if key not in _calendars:
        _calendars[key] = BusinessCalendar(
            time_zone=calendar.time_zone,
            weekly_hours=calendar.weekly(),
            holidays=HolidayList(calendar.holiday_country, calendar.extra_dates()),
            name=calendar.name,
            version=calendar.version,
        )
    return _calendars[key]


_targets: dict[tuple[int, int], dict[str, timedelta | None]] = {}


def targets(policy: SlaPolicy | None) -> dict[str, timedelta | None]:
    """The policy's targets per metric (kept per policy version: the bulk path asks once per ticket)."""
    if policy is None:
        return dict.fromkeys(METRICS)
    key = (policy.pk, policy.version)
    if key not in _targets:
        _targets[key] = _targets_of(policy)
    return _targets[key]


def _targets_of(policy: SlaPolicy) -> dict[str, timedelta | None]:
    return {
        Metric.FIRST_RESPONSE: timedelta(minutes=policy.first_response_minutes),
        Metric.NEXT_UPDATE: (
            timedelta(minutes=policy.next_update_minutes) if policy.next_update_minutes is not None else None
        ),
        Metric.RESOLUTION: timedelta(minutes=policy.resolution_minutes),
    }


def _pausing_statuses(policy: SlaPolicy | None) -> set[str]:
    paused = {Ticket.Status.PENDING_CUSTOMER}
    if policy is not None and policy.pause_while_pending_customs:
        paused.add(Ticket.Status.PENDING_CUSTOMS)
    return paused


# --- Reading the clocks --------------------------------------------------------------------------


@dataclass(slots=True)
class MetricClock:
    """The current cycle of one metric, and how the earlier cycles ended."""

    metric: str
    target: timedelta | None
    state: ClockState | None  # None: the metric has not started (or the policy has no target for it)
    cycle_id: int | None
    earlier_breaches: int = 0


def clocks_from_rows(
    rows: Iterable[tuple[int, str, str, int, str]],
    *,
    policy_targets: dict[str, timedelta | None],
    calendar: BusinessCalendar | None,
    now: datetime,
) -> dict[str, MetricClock]:
    """Replay a ticket's clock rows ``(id, metric, kind, at in microseconds, reason)``, in time order,
    per metric.

    A start row opens a new cycle (a reopened ticket, a new customer reply); the latest cycle is the
    one that runs. Pure: the bulk deadline computation and the single ticket share it.
    """
    cycles: dict[str, list[tuple[int, list[tuple[int, str, str]]]]] = {}
    for row_id, metric, kind, at, reason in rows:
        if kind == Clock.START:
            cycles.setdefault(metric, []).append((row_id, []))
        elif kind not in _CLOCK_KINDS or metric not in cycles:
            continue  # a warning, breach or policy row; or a row before any start
        cycles[metric][-1][1].append((at, kind, reason))
    clocks = {}
    now_us = to_us(now)
    for metric in _METRICS:
        target = policy_targets.get(metric)
        metric_cycles = cycles.get(metric)
        if target is None or not metric_cycles:
            clocks[metric] = MetricClock(metric, target, None, None)
            continue
        target_us = target // MICROSECOND
        earlier = 0
        for _, earlier_rows in metric_cycles[:-1]:
            earlier += clock_state_us(earlier_rows, target_us=target_us, calendar=calendar, now_us=now_us).is_breached
        cycle_id, cycle_rows = metric_cycles[-1]
        state = clock_state_us(cycle_rows, target_us=target_us, calendar=calendar, now_us=now_us)
        clocks[metric] = MetricClock(metric, target, state, cycle_id, earlier)
    return clocks


def ticket_clocks(ticket: Ticket, *, now: datetime | None = None) -> dict[str, MetricClock]:
    now = now or timezone.now()
    policy = ticket.sla_policy
    rows = [
        (row_id, metric, kind, to_us(at), reason)
        for row_id, metric, kind, at, reason in SlaClockEvent.objects.filter(ticket=ticket)
        .order_by("at", "id")
        .values_list("id", "metric", "kind", "at", "reason")
    ]
    if policy is None:
        return clocks_from_rows([], policy_targets=targets(None), calendar=None, now=now)
    return clocks_from_rows(rows, policy_targets=targets(policy), calendar=business_calendar(policy.calendar), now=now)


def next_due(clocks: dict[str, MetricClock]) -> datetime | None:
    running = [clock.state.due_at for clock in clocks.values() if clock.state and clock.state.is_running]
    return min(running) if running else None


def sla_refresh(ticket: Ticket, *, now: datetime | None = None) -> None:
    """Store the earliest running deadline and the breach flag on the ticket, for the queue."""
    clocks = ticket_clocks(ticket, now=now)
    ticket.sla_due_at = next_due(clocks)
    ticket.sla_breached = any(
        (clock.state is not None and clock.state.is_breached) or clock.earlier_breaches for clock in clocks.values()
    )
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=ticket.sla_due_at, sla_breached=ticket.sla_breached)


# --- Writing the clocks --------------------------------------------------------------------------


def _write(ticket: Ticket, metric: str, kind: str, at: datetime, reason: str = "") -> SlaClockEvent:
    policy = ticket.sla_policy
    return SlaClockEvent.objects.create(
        ticket=ticket,
        metric=metric,
        kind=kind,
        at=at,
        reason=reason[:200],
        policy=policy,
        policy_version=policy.version if policy else None,
        calendar_version=policy.calendar.version if policy else None,
    )


def clocks_start(ticket: Ticket, *, at: datetime) -> None:
    """A new ticket: choose its policy and start first response and resolution at the SLA start."""
    ticket.sla_policy = policy_for(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=ticket.sla_policy)
    if ticket.sla_policy is None:
        return
    _write(ticket, "", Kind.POLICY, at, f"policy {ticket.sla_policy.name}")
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        _write(ticket, metric, Kind.START, ticket.sla_started_at)
    if ticket.status in _pausing_statuses(ticket.sla_policy):
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
            _write(ticket, metric, Kind.PAUSE, at, f"created {ticket.get_status_display().lower()}")
    sla_refresh(ticket, now=at)


def clocks_agent_replied(ticket: Ticket, *, at: datetime) -> None:
    """An agent's public reply is the first response, and the next update the customer waited for."""
    clocks = ticket_clocks(ticket, now=at)
    for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_UPDATE):
        state = clocks[metric].state
        if state is not None and not state.fulfilled_at and not state.cancelled:
            _write(ticket, metric, Kind.FULFIL, at, "agent replied")
    sla_refresh(ticket, now=at)


def clocks_customer_replied(ticket: Ticket, *, at: datetime) -> None:
    """The customer answered: once the first response is done, we owe them the next update."""
    clocks = ticket_clocks(ticket, now=at)
    first = clocks[Metric.FIRST_RESPONSE].state
    update = clocks[Metric.NEXT_UPDATE]
    waiting = update.state is not None and (update.state.is_running or update.state.paused)
    if first is not None and first.fulfilled_at and update.target is not None and not waiting:
        _write(ticket, Metric.NEXT_UPDATE, Kind.START, at, "customer replied")
    sla_refresh(ticket, now=at)


def clocks_status_changed(ticket: Ticket, *, old: str, new: str, at: datetime) -> None:
    pausing = _pausing_statuses(ticket.sla_policy)
    clocks = ticket_clocks(ticket, now=at)
    if new in DONE_STATUSES:
        for metric, clock in clocks.items():
            state = clock.state
            if state is None or state.fulfilled_at or state.cancelled:
                continue
            if metric == Metric.RESOLUTION:
                _write(ticket, metric, Kind.FULFIL, at, f"ticket {new}")
            else:
                _write(ticket, metric, Kind.CANCEL, at, f"ticket {new} without it")
    elif old in DONE_STATUSES:
        _write(ticket, Metric.RESOLUTION, Kind.START, at, "ticket reopened")
    elif new in pausing and old not in pausing:
        for metric, clock in clocks.items():
            if clock.state is not None and clock.state.is_running:
                _write(ticket, metric, Kind.PAUSE, at, Ticket.Status(new).label)
    elif old in pausing and new not in pausing:
        for metric, clock in clocks.items():
            if clock.state is not None and clock.state.paused:
                _write(ticket, metric, Kind.RESUME, at, f"{Ticket.Status(new).label.lower()} again")
    sla_refresh(ticket, now=at)


def clocks_policy_check(ticket: Ticket, *, at: datetime, reason: str) -> None:
    """After a change of priority, type or plan: choose the policy again. The rows stay; the deadlines
    are recomputed from them with the new targets."""
    policy = policy_for(ticket)
    if policy == ticket.sla_policy:
        return
    ticket.sla_policy = policy
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy)
    _write(ticket, "", Kind.POLICY, at, f"{reason}: policy {policy.name if policy else 'none'}")
    sla_refresh(ticket, now=at)


# --- Warnings and breaches -----------------------------------------------------------------------


@dataclass
class CheckResult:
    checked: int = 0
    warnings: int = 0
    breaches: int = 0
    emails: int = 0


def open_ticket_clocks(*, now: datetime) -> dict[int, tuple[tuple, dict[str, MetricClock]]]:
    """Every open ticket's clocks at ``now``, computed in bulk: one query for the tickets, one for all
    their clock rows (streamed in ticket order), the policies and calendars once. Each value is
    ``((id, policy id, stored due, stored breached), clocks)``. This is what ``bench/sla.py`` measures."""
    policies = {policy.pk: policy for policy in SlaPolicy.objects.select_related("calendar")}
    # Plain tuples, not model instances: a hundred thousand of those cost more than the arithmetic.
    tickets = {row[0]: row for row in _open_tickets()}
    rows = open_clock_rows()
    computed = {}
    # A hundred thousand tickets' clocks are a million small objects kept alive until the end: the
    # cyclic garbage collector would walk them again and again (they hold no cycles); pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _compute_all(rows, tickets, policies, computed, now)
    finally:
        if collecting:
            gc.enable()
    return computed


def _compute_all(groups, tickets: dict, policies: dict, computed: dict, now: datetime) -> None:
    for ticket_id, ticket_rows in groups:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue
        policy = policies[ticket[1]]
        computed[ticket_id] = (
            ticket,
            clocks_from_rows(
                ticket_rows, policy_targets=targets(policy), calendar=business_calendar(policy.calendar), now=now
            ),
        )


def _open_tickets() -> list[tuple[int, int, datetime | None, bool]]:
    """(id, policy id, stored due, stored breached) of every open ticket with a policy."""
    open_tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, sla_policy__isnull=False)
    if db.vendor != "postgresql":
        return list(open_tickets.values_list("id", "sla_policy_id", "sla_due_at", "sla_breached"))
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT id, sla_policy_id, (extract(epoch FROM sla_due_at) * 1000000)::bigint, sla_breached"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" FROM {Ticket._meta.db_table} WHERE status = ANY(%s) AND sla_policy_id IS NOT NULL",
            [list(Ticket.OPEN_STATUSES)],
        )
        return [
            (ticket_id, policy_id, None if due is None else _from_microseconds(due), breached)
            for ticket_id, policy_id, due, breached in cursor.fetchall()
        ]


def open_clock_rows() -> Iterator[tuple[int, list[tuple[int, str, str, datetime, str]]]]:
    """The clock rows of open tickets, streamed and grouped by ticket: ``(ticket id, rows)``. The time
    comes as integer microseconds, the arithmetic's own unit: PostgreSQL's timestamp parsing would
    cost more than all the arithmetic after it."""
    table, tickets = SlaClockEvent._meta.db_table, Ticket._meta.db_table
    at = "(extract(epoch FROM e.at) * 1000000)::bigint" if db.vendor == "postgresql" else "e.at"
    statuses = ", ".join(f"'{status}'" for status in Ticket.OPEN_STATUSES)
    kinds = ", ".join(f"'{kind}'" for kind in CLOCK_KINDS)
    convert = int if db.vendor == "postgresql" else _sqlite_us
    current, rows = None, []
    with db.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT e.ticket_id, e.id, e.metric, e.kind, {at} FROM {table} e"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" JOIN {tickets} t ON t.id = e.ticket_id WHERE t.status IN ({statuses}) AND e.kind IN ({kinds})"
            " ORDER BY e.ticket_id, e.at, e.id"
        )
        while chunk := cursor.fetchmany(20000):
            for ticket_id, row_id, metric, kind, at_value in chunk:
                if ticket_id != current:
                    if rows:
                        yield current, rows
                    current, rows = ticket_id, []
                rows.append((row_id, metric, kind, convert(at_value), ""))  # reasons are for explaining only
    if rows:
        yield current, rows


def _from_microseconds(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _sqlite_us(value) -> int:
    """SQLite keeps Django's datetimes as UTC text."""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return to_us(instant if instant.tzinfo else instant.replace(tzinfo=UTC))


def sla_check(*, now: datetime | None = None) -> CheckResult:
    """Record a warning at 75 % of a target and a breach at 100 %, once per clock cycle, and tell the
    assignee and the team lead by e-mail, only inside business hours (outside them the row waits, and
    a later check sends it). Keeps each ticket's ``sla_due_at`` and ``sla_breached`` current."""
    now = now or timezone.now()
    result = CheckResult()
    changed, notices = [], []
    for (ticket_id, policy_id, stored_due, stored_breached), clocks in open_ticket_clocks(now=now).values():
        result.checked += 1
        for clock in clocks.values():
            state = clock.state
            if state is None or state.fulfilled_at or state.cancelled:
                continue
            if state.is_breached:
                notices.append((ticket_id, policy_id, clock, Kind.BREACH, state.breached_at or now))
            elif state.used >= WARNING_SHARE:
                notices.append((ticket_id, policy_id, clock, Kind.WARNING, now))
        due = next_due(clocks)
        breached = any(
            (clock.state is not None and clock.state.is_breached) or clock.earlier_breaches for clock in clocks.values()
        )
        if (due, breached) != (stored_due, stored_breached):
            changed.append(Ticket(pk=ticket_id, sla_due_at=due, sla_breached=breached))
    recorded = _record_notices(notices)
    result.warnings = sum(1 for notice in recorded if notice.kind == Kind.WARNING)
    result.breaches = len(recorded) - result.warnings
    Ticket.objects.bulk_update(changed, ["sla_due_at", "sla_breached"], batch_size=1000)
    calendar_open: dict[int, bool] = {}
    pending = SlaClockEvent.objects.filter(
        kind__in=[Kind.WARNING, Kind.BREACH], notified_at__isnull=True
    ).select_related("ticket__assignee", "ticket__organisation", "ticket__sla_policy__calendar")
    for notice in pending:
        policy = notice.ticket.sla_policy
        if policy is None or notice.ticket.status not in Ticket.OPEN_STATUSES:
            continue
        if policy.calendar_id not in calendar_open:
            calendar_open[policy.calendar_id] = business_calendar(policy.calendar).is_open(now)
        if calendar_open[policy.calendar_id]:
            result.emails += _email(notice, now)
    return result


def _record_notices(notices: list[tuple]) -> list[SlaClockEvent]:
    """Record each warning or breach once per clock cycle: one query for what is already recorded,
    one insert for the rest (the unique constraint settles a race with a concurrent check)."""
    if not notices:
        return []
    already = set(
        SlaClockEvent.objects.filter(
            kind__in=[Kind.WARNING, Kind.BREACH], ticket_id__in={notice[0] for notice in notices}
        ).values_list("ticket_id", "metric", "kind", "cycle")
    )
    policies = {policy.pk: policy for policy in SlaPolicy.objects.select_related("calendar")}
    new = [
        SlaClockEvent(
            ticket_id=ticket_id,
            metric=clock.metric,
            kind=kind,
            at=at,
            reason=f"{int(clock.state.used * 100)} % of {clock.target} used",
            policy=policies[policy_id],
            policy_version=policies[policy_id].version,
            calendar_version=policies[policy_id].calendar.version,
            cycle=clock.cycle_id,
        )
        for ticket_id, policy_id, clock, kind, at in notices
        if (ticket_id, clock.metric, kind, clock.cycle_id) not in already
    ]
    SlaClockEvent.objects.bulk_create(new, ignore_conflicts=True)
    return new


def _email(notice: SlaClockEvent, now: datetime) -> int:
    ticket = notice.ticket
    recipients = [*settings.SLA_TEAM_LEAD_EMAILS]
    if ticket.assignee and ticket.assignee.email:
        recipients.insert(0, ticket.assignee.email)
    if recipients:
        what = "breached" if notice.kind == Kind.BREACH else "at 75 %"
        send_mail(
            subject=f"[SLA {what}] #{ticket.pk} {notice.get_metric_display()}: {ticket.subject}"[:200],
            message=f"Ticket #{ticket.pk} ({ticket.organisation}): {notice.get_metric_display()} {what}.\n"
            f"{notice.reason}\nPriority {ticket.priority}, status {ticket.get_status_display()}.",
            from_email=None,
            recipient_list=recipients,
        )
    SlaClockEvent.objects.filter(pk=notice.pk).update(notified_at=now)
    return 1 if recipients else 0


# --- Explaining the deadline ---------------------------------------------------------------------


@dataclass
class MetricExplained:
    """One metric of a ticket, with everything needed to check its deadline by hand."""

    metric: str
    label: str
    target: timedelta | None
    status: str  # "met", "breached", "running", "paused", "not started", "no longer applies", "no target"
    started_at: datetime | None
    due_at: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None
    elapsed: timedelta
    remaining: timedelta
    segments: list
    pauses: list
    earlier_breaches: int


@dataclass
class SlaExplained:
    policy: str
    policy_version: int | None
    calendar: str
    calendar_version: int | None
    time_zone: str
    metrics: list[MetricExplained]
    rows: list[SlaClockEvent]


def sla_explain(ticket: Ticket, *, now: datetime | None = None) -> SlaExplained:
    """The SLA timeline of a ticket: per metric the business-time segments counted, the pauses and
    their reasons, the deadline; and the policy and calendar versions it was computed with."""
    now = now or timezone.now()
    policy = ticket.sla_policy
    clocks = ticket_clocks(ticket, now=now)
    metrics = []
    for metric in METRICS:
        clock = clocks[metric]
        state = clock.state
        if clock.target is None:
            status = "no target"
        elif state is None:
            status = "not started"
        elif state.cancelled:
            status = "no longer applies"
        elif state.fulfilled_at:
            status = "breached" if state.is_breached else "met"
        elif state.is_breached:
            status = "breached"
        else:
            status = "paused" if state.paused else "running"
        metrics.append(
            MetricExplained(
                metric=metric,
                label=Metric(metric).label,
                target=clock.target,
                status=status,
                started_at=state.started_at if state else None,
                due_at=state.due_at if state else None,
                fulfilled_at=state.fulfilled_at if state else None,
                breached_at=state.breached_at if state else None,
                elapsed=state.elapsed if state else timedelta(0),
                remaining=state.remaining if state else (clock.target or timedelta(0)),
                segments=state.segments if state else [],
                pauses=state.pauses if state else [],
                earlier_breaches=clock.earlier_breaches,
            )
        )
    return SlaExplained(
        policy=policy.name if policy else "no SLA policy applies",
        policy_version=policy.version if policy else None,
        calendar=policy.calendar.name if policy else "",
        calendar_version=policy.calendar.version if policy else None,
        time_zone=policy.calendar.time_zone if policy else "",
        metrics=metrics,
        rows=list(SlaClockEvent.objects.filter(ticket=ticket).select_related("policy").order_by("at", "id")),
    )


def business_duration_text(duration: timedelta | None) -> str:
    """'1 business hour', '2 business days 3 hours' (a business day is the calendar's 8 hours)."""
    if duration is None:
        return "no target"
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 8 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} business day{'s' if days != 1 else ''}")
    if hours:
        parts.append(
            f"{hours} hour{'s' if hours != 1 else ''}" if days else f"{hours} business hour{'s' if hours != 1 else ''}"
        )
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
