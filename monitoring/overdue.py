"""Noticing what did not happen: a release, an arrival or an exit that is overdue, and a silent feed.

The ingest stores on each declaration what the desk now waits for and until when (``watch`` and
``watch_due_at``), computed by ``WatchPolicy`` from the newest event and the configured windows.
``overdue_sweep`` then needs one range query on a partial index to find everything overdue,
instead of scanning declarations. Timers run from the messages' own times (DOMAIN.md §3.5), so a
replay of old samples that shows the release raises nothing.

Two things hold the sweeper back: a connection whose feed is stale raises one ``feed_stale``
incident instead of an overdue alert per declaration (we cannot know what we did not receive), and
a customs system under an active BCP is expected to be late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from declarations.models import BcpActivation, Declaration
from tickets.sla import BusinessCalendar, brussels_calendar

from .alerts import OVERDUE_EVENT_TYPE, RuleBook, Signal, alerts_raise, classify, current_book
from .feed import CUSTOMS_SYSTEM_EVENT_TYPE, FeedEvent
from .knowledge import KnowledgeBook
from .models import CasConnection, Incident, KnowledgeEntry, OverdueWindow

# Statuses in which the goods wait for release (DOMAIN.md §4.2): the timer keeps running through
# customs actions and payment trouble (those raise their own alerts too), and stops on any outcome.
AWAITING_RELEASE = frozenset(
    {
        "Accepted",
        "AcceptedForExport",
        "GoodsArrived",
        "PhysicalControl",
        "CreditPending",
        "CustomsInformationRequest",
        "Detained",
        "CustomsRequestsAmendment",
        "Amending",
        "Amended",
        "AmendmentError",
    }
)
AWAITING_ARRIVAL = frozenset({"Received"})
AWAITING_EXIT = frozenset({"Released", "Cleared", "ExitConfirmationNotYetReceived"})
# A physical control (DMSCTL) moves the release to the route-2 window, from the control's own time.
PHYSICAL_CONTROL_ROUTE = "2"
DOCUMENTS_SUBMITTED_ROUTE = "1"


class WatchPolicy:
    """What a declaration waits for after an event, and its due time. One per ingest page."""

    def __init__(self, organisation_id: int, windows: list[OverdueWindow], calendar: BusinessCalendar) -> None:
        self.organisation_id = organisation_id
        self.windows = windows
        self.calendar = calendar

    @classmethod
    def load(cls, organisation_id: int) -> WatchPolicy:
        windows = list(OverdueWindow.objects.filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id)))
        return cls(organisation_id, windows, _calendar())

    def __call__(self, event: FeedEvent) -> tuple[str, datetime | None]:
        d = event.declaration
        status = d.current_status
        route = d.route_of_examination
        is_export = d.declaration_type == "EX" or d.customs_flow.startswith("Export")
        if event.event_type == "DeclarationActionFinished" and event.raw.get("data", {}).get("action") == (
            "SubmitDocuments"
        ):
            # Documents delivered for a documentary control: release is due within the ROE 1 window.
            return self._due("release", d.customs_system, DOCUMENTS_SUBMITTED_ROUTE, event.event_time)
        if status in AWAITING_RELEASE and d.release_date is None:
            if status == "PhysicalControl":
                return self._due("release", d.customs_system, PHYSICAL_CONTROL_ROUTE, event.event_time)
            start = event.event_time if status == "GoodsArrived" else (d.acceptance_date or event.event_time)
            return self._due("release", d.customs_system, route, start)
        if status in AWAITING_ARRIVAL:
            return self._due("arrival", d.customs_system, route, event.event_time)
        if status in AWAITING_EXIT and is_export:
            return self._due("exit", d.customs_system, "", d.release_date or event.event_time)
        return "", None

    def _due(self, watch: str, customs_system: str, route: str, start: datetime) -> tuple[str, datetime | None]:
        window = self.window(watch, customs_system, route)
        if window is None:
            return "", None
        if window.business_hours:
            return watch, self.calendar.add(start, timedelta(minutes=window.minutes))
        return watch, start + timedelta(minutes=window.minutes)

    def window(self, watch: str, customs_system: str, route: str) -> OverdueWindow | None:
        """The most specific window: organisation, then customs system, then route; blank matches any."""
        best, best_score = None, -1
        for window in self.windows:
            if window.watch != watch:
                continue
            if window.customs_system and window.customs_system != customs_system:
                continue
            if window.route_of_examination and window.route_of_examination != route:
                continue
            score = (
                4 * (window.organisation_id is not None)
                + 2 * bool(window.customs_system)
                + bool(window.route_of_examination)
            )
            if score > best_score:
                best, best_score = window, score
        return best


_business_calendar: BusinessCalendar | None = None


def _calendar() -> BusinessCalendar:
    global _business_calendar
    if _business_calendar is None:
        _business_calendar = brussels_calendar()
    return _business_calendar


# --- BCP ------------------------------------------------------------------------------------------


def bcp_from_events(*, organisation_id: int, events: list[FeedEvent], now: datetime) -> None:
    """Open or end BCP activations from ``CustomsSystemStatusChanged`` events (DOMAIN.md §6.2)."""
    for event in sorted((e for e in events if e.event_type == CUSTOMS_SYSTEM_EVENT_TYPE), key=lambda e: e.order_key):
        data = event.raw.get("data") or {}
        system = str(data.get("customsSystem") or "")
        status = str(data.get("status") or "")
        active = BcpActivation.objects.filter(
            customs_system=system, organisation_id=organisation_id, ended_at__isnull=True
        )
        if status == "Outage":
            if not active.exists():
                BcpActivation.objects.create(
                    customs_system=system,
                    jurisdiction=str(data.get("jurisdiction") or "")[:2],
                    organisation_id=organisation_id,
                    call_number=str(data.get("callNumber") or "")[:64],
                    message=str(data.get("message") or ""),
                    started_at=event.event_time,
                )
        elif status == "Operational":
            active.update(ended_at=event.event_time)


# --- The sweeper ----------------------------------------------------------------------------------


@dataclass
class SweepResult:
    overdue: int = 0
    stale_connections: int = 0
    incidents_opened: int = 0
    incidents_resolved: int = 0


WATCH_KINDS = {"release": "release_not_received", "arrival": "arrival_overdue", "exit": "exit_not_confirmed"}


def overdue_sweep(*, now: datetime | None = None, batch_size: int = 5000, max_batches: int = 20) -> SweepResult:
    """Raise an alert for every declaration whose watch is overdue; keep feed-stale incidents true."""
    now = now or timezone.now()
    result = SweepResult()
    stale = _feed_staleness(now, result)
    held_back = _held_back(stale)
    for _ in range(max_batches):
        raised = _sweep_batch(now, held_back, batch_size)
        result.overdue += raised
        if raised < batch_size:
            break
    return result


@dataclass(frozen=True)
class HeldBack:
    organisations: frozenset[int]  # a stale feed: overdue there may be our blind spot
    systems: frozenset[str]  # a BCP for everyone on this customs system
    organisation_systems: frozenset[tuple[int, str]]  # a BCP for one organisation

    @cached_property
    def condition(self) -> Q:
        excluded = Q(organisation_id__in=self.organisations) | Q(customs_system__in=self.systems) | ~Q(bcp_mode="")
        for organisation_id, system in self.organisation_systems:
            excluded |= Q(organisation_id=organisation_id, customs_system=system)
        return excluded


def _held_back(stale_organisations: set[int]) -> HeldBack:
    systems, organisation_systems = set(), set()
    for organisation_id, system in BcpActivation.objects.filter(ended_at__isnull=True).values_list(
        "organisation_id", "customs_system"
    ):
        if organisation_id is None:
            systems.add(system)
        else:
            organisation_systems.add((organisation_id, system))
    return HeldBack(frozenset(stale_organisations), frozenset(systems), frozenset(organisation_systems))


def overdue_queryset(now: datetime, held_back: HeldBack):
    """The sweeper's one query: a range scan of the partial index on ``watch_due_at``."""
    return (
        Declaration.objects.filter(watch_due_at__lte=now)
        .exclude(held_back.condition)
        .order_by("watch_due_at")
        .values("id", "organisation_id", "watch", "status", "customs_system", "procedure_code", "watch_due_at")
    )


def _sweep_batch(now: datetime, held_back: HeldBack, batch_size: int) -> int:
    with transaction.atomic():
        rows = list(overdue_queryset(now, held_back).select_for_update(skip_locked=True)[:batch_size])
        if not rows:
            return 0
        rules, knowledge = RuleBook.current(), current_book(KnowledgeBook, KnowledgeEntry)
        raised = []
        for row in rows:
            signal = Signal(
                organisation_id=row["organisation_id"],
                declaration_id=row["id"],
                event_type=OVERDUE_EVENT_TYPE,
                status=row["watch"],
                previous_status=row["status"],
                event_time=row["watch_due_at"],
                customs_system=row["customs_system"],
                procedure_code=row["procedure_code"],
            )
            raised.extend(classify(signal, rules, knowledge))
        alerts_raise(raised, now=now)
        # The alert now carries the wait; the declaration stops being due until a new event sets it.
        Declaration.objects.filter(id__in=[row["id"] for row in rows]).update(watch_due_at=None)
    return len(rows)


def _feed_staleness(now: datetime, result: SweepResult) -> set[int]:
    """Open one ``feed_stale`` incident per enabled connection that has not answered for too long,
    resolve the ones that answer again; return the organisations whose feed is stale."""
    from .escalation import incident_ticket_sync  # escalation imports the alerting, not the other way

    stale_organisations: set[int] = set()
    threshold = timedelta(seconds=settings.FEED_STALE_AFTER_SECONDS)
    open_incidents = {
        incident.group_key: incident
        for incident in Incident.objects.filter(kind=Incident.Kind.FEED_STALE, is_open=True)
    }
    for connection in CasConnection.objects.filter(is_enabled=True).select_related("organisation"):
        window = max(threshold, timedelta(seconds=3 * connection.poll_interval_seconds))
        heard_at = max(filter(None, [connection.last_success_at, connection.last_push_at, connection.created_at]))
        group_key = f"connection/{connection.pk}"
        open_incident = open_incidents.get(group_key)
        if now - heard_at > window:
            result.stale_connections += 1
            stale_organisations.add(connection.organisation_id)
            if open_incident is None:
                try:
                    with transaction.atomic():
                        incident = Incident.objects.create(
                            organisation_id=connection.organisation_id,
                            kind=Incident.Kind.FEED_STALE,
                            group_key=group_key,
                            connection=connection,
                            summary=f"No feed from {connection} since {heard_at:%Y-%m-%d %H:%M} UTC"
                            + (f": {connection.last_error}" if connection.last_error else ""),
                            opened_at=now,
                        )
                except IntegrityError:  # another sweep opened it a moment ago
                    continue
                result.incidents_opened += 1
                incident_ticket_sync(incident=incident, now=now)
        elif open_incident is not None:
            Incident.objects.filter(pk=open_incident.pk).update(
                is_open=False, resolved_at=now, resolution=f"feed answered again at {heard_at:%Y-%m-%d %H:%M} UTC"
            )
            result.incidents_resolved += 1
    return stale_organisations
