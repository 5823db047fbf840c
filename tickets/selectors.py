"""Reads of tickets, always scoped to what the user may see.

Support staff see every organisation's tickets, notes included. A customer sees only their
organisation's tickets, and of those only the public part: replies, not internal notes; attachments
of replies, not of notes; the history of what they may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, QuerySet

from accounts.models import User

from .models import ResolutionProposal, Ticket, TicketActivity, TicketAttachment, TicketMessage

# History rows a customer never sees (internal notes and who was assigned are the desk's business).
INTERNAL_ACTIONS = frozenset({"note_added", "assigned", "scope_flagged", "scope_overridden"})


def ticket_queryset_for_user(*, user: User) -> QuerySet[Ticket]:
    queryset = Ticket.objects.all()
    if not user.is_support_staff:
        queryset = queryset.filter(organisation_id=user.organisation_id)
    return queryset


def ticket_get_for_user(*, user: User, ticket_id: int) -> Ticket | None:
    return (
        ticket_queryset_for_user(user=user)
        .select_related("organisation", "assignee", "requester", "sla_policy__calendar")
        .filter(pk=ticket_id)
        .first()
    )


@dataclass(frozen=True)
class QueueFilters:
    """What the agent narrowed the queue to; empty means "any". ``assignee`` is "me", "none" or a user id;
    ``alert_kind`` "none" means tickets people raised (no alert opened them)."""

    status: str = ""
    organisation_id: int | None = None
    ticket_type: str = ""
    alert_kind: str = ""
    customs_system: str = ""
    assignee: str = ""


def ticket_queue(*, user: User, filters: QueueFilters = QueueFilters(), limit: int = 100) -> list[Ticket]:
    """Open tickets, the most urgent deadline first; tickets without a running clock last. One query."""
    queryset = ticket_queryset_for_user(user=user).select_related("organisation", "assignee")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    else:
        queryset = queryset.filter(status__in=Ticket.OPEN_STATUSES)
    if filters.organisation_id:
        queryset = queryset.filter(organisation_id=filters.organisation_id)
    if filters.ticket_type:
        queryset = queryset.filter(ticket_type=filters.ticket_type)
    if filters.alert_kind:
        queryset = queryset.filter(alert_kind="" if filters.alert_kind == "none" else filters.alert_kind)
    if filters.customs_system:
        queryset = queryset.filter(customs_system=filters.customs_system)
    if filters.assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    return list(queryset.order_by(F("sla_due_at").asc(nulls_last=True), "-created_at")[:limit])


def ticket_open_count_by_system(*, user: User) -> dict[str, int]:
    """Open tickets per customs system, for the customs systems panel."""
    rows = (
        ticket_queryset_for_user(user=user)
        .filter(status__in=Ticket.OPEN_STATUSES)
        .values("customs_system")
        .annotate(n=Count("id"))
    )
    return {row["customs_system"]: row["n"] for row in rows}


def ticket_messages_for_user(*, ticket: Ticket, user: User) -> list[TicketMessage]:
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author").prefetch_related("attachments")
    if not user.is_support_staff:
        messages = messages.filter(is_internal=False)
    return list(messages.order_by("created_at", "id"))


# What each history row says, in words a customer reads.
ACTION_LABELS = {
    "opened": "ticket raised",
    "replied": "message",
    "status_changed": "status changed",
    "declarations_linked": "declarations linked",
    "priority_changed": "priority changed",
    "resolution_proposed": "resolution proposed",
    "proposal_accepted": "proposal accepted",
    "proposal_rejected": "proposal rejected",
    "resolution_carried_out": "resolution carried out",
    "reopened": "reopened",
    "alert_added": "another alert on the same declaration",
    "alert_fired_again": "the problem came back",
    "alerts_resolved": "the declaration recovered",
    "scope_confirmed": "outside the service",
}


def ticket_history_for_user(*, ticket: Ticket, user: User) -> list[TicketActivity]:
    rows = TicketActivity.objects.filter(ticket=ticket).select_related("actor")
    if not user.is_support_staff:
        rows = rows.exclude(action__in=INTERNAL_ACTIONS)
    history = list(rows.order_by("at", "id"))
    for row in history:
        row.label = ACTION_LABELS.get(row.action, row.action.replace("_", " "))
    return history


def ticket_proposals(*, ticket: Ticket) -> list[ResolutionProposal]:
    return list(ResolutionProposal.objects.filter(ticket=ticket).select_related("proposed_by", "decided_by"))


def attachment_get_for_user(*, user: User, token: str) -> TicketAttachment | None:
    attachments = TicketAttachment.objects.select_related("ticket").filter(token=token)
    if not user.is_support_staff:
        attachments = attachments.filter(ticket__organisation_id=user.organisation_id, is_internal=False)
    return attachments.first()
