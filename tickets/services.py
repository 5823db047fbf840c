"""Changing tickets. Every change, from every channel, goes through here and into the history.

``ticket_record`` is the one writer of ``TicketActivity``; the other functions change the ticket and
call it in the same transaction, so a ticket never changes without a history row saying who, from
where, and what.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Ticket, TicketActivity, TicketDeclaration


def ticket_record(
    *, ticket: Ticket, action: str, channel: str, actor=None, detail: dict[str, Any] | None = None, at=None
) -> TicketActivity:
    """Append one history row. Never updates or deletes an existing one."""
    return TicketActivity.objects.create(
        ticket=ticket, at=at or timezone.now(), channel=channel, actor=actor, action=action, detail=detail or {}
    )


@transaction.atomic
def ticket_open(
    *,
    organisation_id: int,
    subject: str,
    channel: str,
    ticket_type: str = Ticket.Type.OTHER,
    priority: str = Ticket.Priority.NORMAL,
    description: str = "",
    alert_kind: str = "",
    suggested_resolution: str = "",
    sla_started_at: datetime | None = None,
    requester=None,
    declaration_ids: Iterable[int] = (),
    detail: dict[str, Any] | None = None,
) -> Ticket:
    now = timezone.now()
    ticket = Ticket.objects.create(
        organisation_id=organisation_id,
        subject=subject[:300],
        description=description,
        ticket_type=ticket_type,
        priority=priority,
        alert_kind=alert_kind,
        suggested_resolution=suggested_resolution,
        channel=channel,
        requester=requester,
        sla_started_at=sla_started_at or now,
    )
    ticket_record(
        ticket=ticket,
        action="opened",
        channel=channel,
        actor=requester,
        detail={"subject": ticket.subject, "type": ticket_type, "priority": priority, **(detail or {})},
        at=now,
    )
    ticket_link_declarations(ticket=ticket, declaration_ids=declaration_ids, channel=channel, actor=requester)
    return ticket


def ticket_link_declarations(*, ticket: Ticket, declaration_ids: Iterable[int], channel: str, actor=None) -> int:
    """Link declarations to the ticket; already linked ones are skipped. Returns how many were new."""
    ids = sorted(set(declaration_ids))
    if not ids:
        return 0
    now = timezone.now()
    already = set(
        TicketDeclaration.objects.filter(ticket=ticket, declaration_id__in=ids).values_list("declaration_id", flat=True)
    )
    new = [declaration_id for declaration_id in ids if declaration_id not in already]
    TicketDeclaration.objects.bulk_create(
        [TicketDeclaration(ticket=ticket, declaration_id=declaration_id, linked_at=now) for declaration_id in new],
        ignore_conflicts=True,  # a concurrent run linked it a moment ago
        batch_size=2000,
    )
    if new:
        ticket_record(
            ticket=ticket,
            action="declarations_linked",
            channel=channel,
            actor=actor,
            detail={"count": len(new), "declaration_ids": new[:50]},
            at=now,
        )
    return len(new)


def ticket_reopen(*, ticket: Ticket, channel: str, reason: str, actor=None) -> Ticket:
    """Put a resolved or closed ticket back in the queue, saying why."""
    if ticket.is_open:
        return ticket
    previous = ticket.status
    ticket.status = Ticket.Status.OPEN
    ticket.resolved_at = None
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    ticket_record(
        ticket=ticket,
        action="reopened",
        channel=channel,
        actor=actor,
        detail={"from": previous, "reason": reason},
    )
    return ticket
