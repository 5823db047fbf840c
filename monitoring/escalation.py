"""From firing alerts to work for an agent: storms become incidents, alerts and incidents become tickets.

``alerts_escalate`` runs every few seconds. It takes the pending alerts whose wait is over (a
failure that recovered meanwhile was resolved and is not among them), groups the ones that share a
cause into incidents, marks them firing, and, for organisations on the Active Support plan, opens or
updates the ticket: one per declaration problem, one per incident. ``alert_ticket_sync`` and
``incident_ticket_sync`` are the one place where monitoring turns into tickets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from tickets.models import Ticket, TicketActivity
from tickets.services import ticket_link_declarations, ticket_open, ticket_record, ticket_reopen

from .knowledge import suggestion_text
from .models import Alert, AlertKind, Incident

# Failures that can hit many declarations at once for one cause, and so can storm.
GROUPABLE_KINDS = frozenset(
    {AlertKind.CUSTOMS_ERROR, AlertKind.PROVIDER_ERROR, AlertKind.SENDING_ERROR, AlertKind.VALIDATION_VIOLATION}
)

TICKET_TYPE_OF_KIND = {
    AlertKind.VALIDATION_VIOLATION: Ticket.Type.DECLARATION_ERROR,
    AlertKind.CUSTOMS_ERROR: Ticket.Type.DECLARATION_ERROR,
    AlertKind.PROVIDER_ERROR: Ticket.Type.DECLARATION_ERROR,
    AlertKind.SENDING_ERROR: Ticket.Type.DECLARATION_ERROR,
    AlertKind.UNKNOWN_STATUS: Ticket.Type.DECLARATION_ERROR,
    AlertKind.RELEASE_NOT_RECEIVED: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.ARRIVAL_OVERDUE: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.PAYMENT_PENDING: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.OGA_HOLD: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.CUSTOMS_QUERY: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.DETAINED: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.MANUAL_HANDLING: Ticket.Type.RELEASE_NOT_RECEIVED,
    AlertKind.DOCUMENTS_REQUESTED: Ticket.Type.DOCUMENTARY_CONTROL,
    AlertKind.CUSTOMS_REQUESTS_AMENDMENT: Ticket.Type.AMENDMENT_OR_INVALIDATION,
    AlertKind.CUSTOMS_REQUESTS_INVALIDATION: Ticket.Type.AMENDMENT_OR_INVALIDATION,
    AlertKind.EXIT_NOT_CONFIRMED: Ticket.Type.OTHER,
}
PRIORITY_OF_SEVERITY = {
    "critical": Ticket.Priority.URGENT,
    "high": Ticket.Priority.HIGH,
    "warning": Ticket.Priority.NORMAL,
    "info": Ticket.Priority.LOW,
}
AUTOMATION = Ticket.Channel.AUTOMATION


@dataclass
class EscalationResult:
    fired: int = 0
    incidents_opened: int = 0
    tickets_opened: int = 0
    tickets_updated: int = 0


def alerts_escalate(*, now: datetime | None = None, batch_size: int = 5000) -> EscalationResult:
    """Fire the pending alerts whose wait is over, grouping storms, and open or update their tickets."""
    now = now or timezone.now()
    result = EscalationResult()
    with transaction.atomic():
        due = list(
            Alert.objects.select_for_update(skip_locked=True)
            .filter(state=Alert.State.PENDING, fires_at__lte=now)
            .order_by("fires_at")
            .values_list("id", flat=True)[:batch_size]
        )
        if not due:
            return result
        incidents = _group_storms(due, now, result)
        result.fired = Alert.objects.filter(id__in=due, state=Alert.State.PENDING).update(
            state=Alert.State.FIRING, fired_at=now
        )
        alone = Alert.objects.filter(id__in=due, incident__isnull=True).select_related("organisation", "declaration")
        for alert in alone:
            outcome = alert_ticket_sync(alert=alert, now=now)
            if outcome == "opened":
                result.tickets_opened += 1
            elif outcome:
                result.tickets_updated += 1
        for incident in incidents:
            outcome = incident_ticket_sync(incident=incident, now=now)
            if outcome == "opened":
                result.tickets_opened += 1
            elif outcome:
                result.tickets_updated += 1
    return result


def _group_storms(due: list[int], now: datetime, result: EscalationResult) -> list[Incident]:
    """Put due alerts that share a cause with enough others into that cause's incident.

    A cause is organisation, kind, customs system and reason code. An open incident for the cause
    takes every new alert; otherwise one is opened once ``INCIDENT_MIN_DECLARATIONS`` open alerts
    of the cause were first seen within ``INCIDENT_WINDOW_SECONDS``. All open alerts of the cause
    without an incident join it, pending ones too, so they never open tickets of their own.
    """
    causes = set(
        Alert.objects.filter(id__in=due, kind__in=GROUPABLE_KINDS, incident__isnull=True).values_list(
            "organisation_id", "kind", "customs_system", "reason_code"
        )
    )
    touched = []
    for organisation_id, kind, customs_system, reason_code in sorted(causes):
        group_key = f"{kind}/{customs_system}/{reason_code}"
        of_cause = Alert.objects.filter(
            organisation_id=organisation_id,
            is_open=True,
            kind=kind,
            customs_system=customs_system,
            reason_code=reason_code,
        )
        incident = Incident.objects.filter(organisation_id=organisation_id, group_key=group_key, is_open=True).first()
        if incident is None:
            window_start = now - timedelta(seconds=settings.INCIDENT_WINDOW_SECONDS)
            if of_cause.filter(first_seen_at__gte=window_start).count() < settings.INCIDENT_MIN_DECLARATIONS:
                continue
            label = AlertKind(kind).label
            try:
                with transaction.atomic():
                    incident = Incident.objects.create(
                        organisation_id=organisation_id,
                        kind=Incident.Kind.ERROR_STORM,
                        group_key=group_key,
                        alert_kind=kind,
                        reason_code=reason_code,
                        customs_system=customs_system,
                        summary=f"{label} {reason_code} on many {customs_system or 'CAS'} declarations",
                        opened_at=now,
                    )
            except IntegrityError:
                incident = Incident.objects.get(organisation_id=organisation_id, group_key=group_key, is_open=True)
            else:
                result.incidents_opened += 1
        of_cause.filter(incident__isnull=True).update(incident=incident)
        touched.append(incident)
    # Due alerts that joined an incident in an earlier run bring their declarations to its ticket too.
    earlier = Incident.objects.filter(alerts__id__in=due, is_open=True).exclude(id__in=[i.pk for i in touched])
    return touched + list(earlier.distinct())


def _is_active_plan(organisation: Organisation) -> bool:
    return organisation.support_plan == Organisation.SupportPlan.ACTIVE


def alert_ticket_sync(*, alert: Alert, now: datetime) -> str:
    """Open or update the ticket for one firing alert. Returns "opened", "updated", "reopened" or ""
    (a standard plan: the alert is recorded, the customer raises a ticket if they want help).

    One ticket per declaration problem: an alert joins the open ticket of another open alert of the
    same declaration; a fingerprint that fires again within 24 h of being resolved reopens its ticket.
    """
    if not _is_active_plan(alert.organisation):
        return ""
    sibling = (
        Alert.objects.filter(declaration_id=alert.declaration_id, is_open=True, ticket__status__in=Ticket.OPEN_STATUSES)
        .exclude(pk=alert.pk)
        .select_related("ticket")
        .first()
    )
    if sibling is not None:
        _attach(alert, sibling.ticket, "alert_added")
        return "updated"
    reopen_after = now - timedelta(hours=settings.ALERT_REOPEN_WITHIN_HOURS)
    previous = (
        Alert.objects.filter(
            fingerprint=alert.fingerprint, is_open=False, resolved_at__gte=reopen_after, ticket__isnull=False
        )
        .select_related("ticket")
        .order_by("-resolved_at")
        .first()
    )
    if previous is not None:
        ticket_reopen(ticket=previous.ticket, channel=AUTOMATION, reason=f"{alert.summary} fired again")
        _attach(alert, previous.ticket, "alert_fired_again")
        return "reopened"
    declaration = alert.declaration
    ticket = ticket_open(
        organisation_id=alert.organisation_id,
        subject=f"{alert.summary} · {declaration}",
        channel=AUTOMATION,
        ticket_type=TICKET_TYPE_OF_KIND.get(alert.kind, Ticket.Type.OTHER),
        priority=PRIORITY_OF_SEVERITY.get(alert.severity, Ticket.Priority.NORMAL),
        description=_alert_description(alert),
        alert_kind=alert.kind,
        suggested_resolution=suggestion_text(
            alert.knowledge_entry, field_name=alert.field_name, field_path=alert.field_path
        ),
        sla_started_at=alert.fired_at or now,
        declaration_ids=[alert.declaration_id],
        detail={"alert_id": alert.pk, "fingerprint": alert.fingerprint},
    )
    Alert.objects.filter(pk=alert.pk).update(ticket=ticket)
    return "opened"


def _attach(alert: Alert, ticket: Ticket, action: str) -> None:
    Alert.objects.filter(pk=alert.pk).update(ticket=ticket)
    ticket_link_declarations(ticket=ticket, declaration_ids=[alert.declaration_id], channel=AUTOMATION)
    ticket_record(
        ticket=ticket, action=action, channel=AUTOMATION, detail={"alert_id": alert.pk, "summary": alert.summary}
    )


def _alert_description(alert: Alert) -> str:
    declaration = alert.declaration
    lines = [
        alert.summary,
        f"Declaration: LRN {declaration.lrn or '-'}, MRN {declaration.mrn or '-'}, CAS id {declaration.cas_id}",
        f"Customs system: {alert.customs_system or '-'}; procedure {alert.procedure_code or '-'};"
        f" status {declaration.status}",
    ]
    if alert.error_codes:
        lines.append("Error codes: " + ", ".join(alert.error_codes))
    if alert.field_name or alert.field_path:
        lines.append(f"Field: {alert.field_name} {alert.field_path}".rstrip())
    return "\n".join(lines)


def incident_ticket_sync(*, incident: Incident, now: datetime) -> str:
    """One ticket for the whole incident, linked to every declaration of its alerts."""
    organisation = Organisation.objects.get(pk=incident.organisation_id)
    if not _is_active_plan(organisation):
        return ""
    declaration_ids = list(Alert.objects.filter(incident=incident).values_list("declaration_id", flat=True))
    outcome = "updated"
    ticket = Ticket.objects.filter(pk=incident.ticket_id).first() if incident.ticket_id else None
    if ticket is None:
        entry_alert = Alert.objects.filter(incident=incident).select_related("knowledge_entry").first()
        is_feed = incident.kind == Incident.Kind.FEED_STALE
        ticket = ticket_open(
            organisation_id=incident.organisation_id,
            subject=incident.summary,
            channel=AUTOMATION,
            ticket_type=Ticket.Type.CAS_ADMIN if is_feed else TICKET_TYPE_OF_KIND.get(incident.alert_kind, "other"),
            priority=Ticket.Priority.HIGH if is_feed else Ticket.Priority.URGENT,
            description=incident.summary,
            alert_kind=incident.alert_kind or incident.kind,
            suggested_resolution=suggestion_text(
                entry_alert.knowledge_entry if entry_alert else None,
                field_name=entry_alert.field_name if entry_alert else "",
                field_path=entry_alert.field_path if entry_alert else "",
            ),
            sla_started_at=now,
            detail={"incident_id": incident.pk},
        )
        Incident.objects.filter(pk=incident.pk).update(ticket=ticket)
        outcome = "opened"
    ticket_link_declarations(ticket=ticket, declaration_ids=declaration_ids, channel=AUTOMATION)
    Alert.objects.filter(incident=incident, ticket__isnull=True).update(ticket=ticket)
    return outcome


def tickets_note_resolution(*, alerts: list[dict], resolution: str, now: datetime) -> None:
    """Tell each ticket which of its alerts recovered; the agent decides when the ticket is done."""
    by_ticket: dict[int, list[dict]] = defaultdict(list)
    for alert in alerts:
        by_ticket[alert["ticket_id"]].append(alert)
    TicketActivity.objects.bulk_create(
        [
            TicketActivity(
                ticket_id=ticket_id,
                at=now,
                channel=AUTOMATION,
                action="alerts_resolved",
                detail={
                    "count": len(resolved),
                    "resolution": resolution,
                    "alert_ids": [alert["id"] for alert in resolved][:50],
                },
            )
            for ticket_id, resolved in by_ticket.items()
        ]
    )
