"""Changing tickets. Every change, from every channel, goes through here and into the history.

``ticket_record`` is the one writer of ``TicketActivity``; the other functions change the ticket and
call it in the same transaction, so a ticket never changes without a history row saying who, from
where, and what. They also move the SLA clocks (``tickets.clocks``) and check who may do what:
support staff work any ticket; a customer only their organisation's, and only as a customer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from declarations.models import Declaration

from . import clocks
from .models import ResolutionProposal, Ticket, TicketActivity, TicketAttachment, TicketDeclaration, TicketMessage
from .scope import scope_assess


class TicketError(Exception):
    """A change that is not allowed (wrong person, wrong state, bad upload); the message says why."""


class TicketNotFound(TicketError):
    """Another organisation's ticket: answered exactly as a ticket that does not exist."""


def _check_access(ticket: Ticket, user) -> None:
    if user is None or user.is_support_staff:
        return
    if user.organisation_id != ticket.organisation_id:
        raise TicketNotFound("no such ticket")


def _require_staff(user, what: str) -> None:
    if user is None or not user.is_support_staff:
        raise TicketError(f"only support staff may {what}")


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
    customs_system: str = "",
    suggested_resolution: str = "",
    sla_started_at: datetime | None = None,
    requester=None,
    declaration_ids: Iterable[int] = (),
    detail: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket, start its SLA clocks, and (for requests people raise) judge whether the service
    covers it: an out-of-scope request is flagged with a drafted reply an agent confirms."""
    now = timezone.now()
    if requester is not None and not requester.is_support_staff and requester.organisation_id != organisation_id:
        raise TicketError("a customer raises tickets for their own organisation only")
    declaration_ids = list(declaration_ids)
    if not customs_system and declaration_ids:
        customs_system = (
            Declaration.objects.filter(pk=min(declaration_ids)).values_list("customs_system", flat=True).first() or ""
        )
    ticket = Ticket.objects.create(
        organisation_id=organisation_id,
        subject=subject[:300],
        description=description,
        ticket_type=ticket_type,
        priority=priority,
        alert_kind=alert_kind,
        customs_system=customs_system.strip().upper()[:32],
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
    if channel != Ticket.Channel.AUTOMATION:
        verdict = scope_assess(
            ticket_type=ticket_type, subject=subject, description=description, plan=ticket.organisation.support_plan
        )
        if verdict.scope != Ticket.Scope.IN_SCOPE:
            ticket.scope, ticket.scope_reason, ticket.scope_reply = verdict.scope, verdict.reason, verdict.reply
            ticket.save(update_fields=["scope", "scope_reason", "scope_reply", "updated_at"])
            ticket_record(
                ticket=ticket,
                action="scope_flagged",
                channel=Ticket.Channel.AUTOMATION,
                detail={"scope": verdict.scope, "category": verdict.category, "reason": verdict.reason},
                at=now,
            )
    ticket_link_declarations(ticket=ticket, declaration_ids=declaration_ids, channel=channel, actor=requester)
    clocks.clocks_start(ticket, at=now)
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
    clocks.clocks_status_changed(ticket, old=previous, new=ticket.status, at=timezone.now())
    return ticket


# Which status a person may move a ticket to. Customers only close their own resolved ticket or
# reopen it; every other move is support staff's.
CUSTOMER_TRANSITIONS = {
    (Ticket.Status.RESOLVED, Ticket.Status.CLOSED),
    (Ticket.Status.RESOLVED, Ticket.Status.OPEN),
}


@transaction.atomic
def ticket_transition(*, ticket: Ticket, status: str, actor, channel: str, reason: str = "") -> Ticket:
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "sla_policy__calendar")
        .get(pk=ticket.pk)
    )
    _check_access(ticket, actor)
    if status not in Ticket.Status.values:
        raise TicketError(f"unknown status {status!r}")
    previous = ticket.status
    if status == previous:
        return ticket
    if actor is not None and not actor.is_support_staff and (previous, status) not in CUSTOMER_TRANSITIONS:
        raise TicketError("only support staff may change this ticket's status")
    if previous == Ticket.Status.CLOSED:
        raise TicketError("a closed ticket stays closed; raise a new one")
    _move(ticket, status, actor, channel, reason, timezone.now())
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, actor, channel: str) -> Ticket:
    _require_staff(actor, "assign tickets")
    if assignee is not None and not assignee.is_support_staff:
        raise TicketError("tickets are assigned to support staff")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    previous = ticket.assignee_id
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    ticket_record(
        ticket=ticket,
        action="assigned",
        channel=channel,
        actor=actor,
        detail={"from": previous, "to": assignee.pk if assignee else None},
    )
    return ticket


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, priority: str, actor, channel: str) -> Ticket:
    """A new priority may mean another SLA policy: the deadlines are recomputed from the clock rows."""
    _require_staff(actor, "change the priority")
    if priority not in Ticket.Priority.values:
        raise TicketError(f"unknown priority {priority!r}")
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "sla_policy__calendar")
        .get(pk=ticket.pk)
    )
    previous = ticket.priority
    ticket.priority = priority
    ticket.save(update_fields=["priority", "updated_at"])
    ticket_record(
        ticket=ticket,
        action="priority_changed",
        channel=channel,
        actor=actor,
        detail={"from": previous, "to": priority},
    )
    clocks.clocks_policy_check(ticket, at=timezone.now(), reason=f"priority {previous} -> {priority}")
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author,
    body: str,
    channel: str,
    internal: bool = False,
    files: Iterable[Any] = (),
) -> TicketMessage:
    """A public reply or, for support staff, an internal note, with attachments.

    An agent's public reply is the first response (and the next update); a customer's reply to a
    ticket waiting for them puts it back in the queue and resumes the clocks.
    """
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "sla_policy__calendar")
        .get(pk=ticket.pk)
    )
    _check_access(ticket, author)
    if not body.strip():
        raise TicketError("the message is empty")
    if internal and (author is None or not author.is_support_staff):
        raise TicketError("only support staff write internal notes")
    if ticket.status == Ticket.Status.CLOSED:
        raise TicketError("a closed ticket takes no more messages; raise a new one")
    files = list(files)
    if len(files) > settings.ATTACHMENT_MAX_PER_MESSAGE:
        raise TicketError(f"at most {settings.ATTACHMENT_MAX_PER_MESSAGE} attachments per message")
    checked = [_check_upload(upload) for upload in files]  # all refused or all kept, before anything is written
    now = timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket, author=author, channel=channel, is_internal=internal, body=body, created_at=now
    )
    for upload, (content, content_type) in zip(files, checked, strict=True):
        _store_attachment(ticket, message, author, upload, content, content_type, internal=internal, now=now)
    ticket_record(
        ticket=ticket,
        action="note_added" if internal else "replied",
        channel=channel,
        actor=author,
        detail={"message_id": message.pk, "attachments": len(files)},
        at=now,
    )
    if internal:
        return message
    if author is not None and author.is_support_staff:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            ticket.save(update_fields=["first_responded_at", "updated_at"])
        clocks.clocks_agent_replied(ticket, at=now)
        if ticket.status == Ticket.Status.NEW:
            _move(ticket, Ticket.Status.OPEN, author, channel, "first reply", now)
    else:
        if ticket.status in (Ticket.Status.PENDING_CUSTOMER, Ticket.Status.RESOLVED):
            _move(ticket, Ticket.Status.OPEN, author, channel, "customer replied", now)
        clocks.clocks_customer_replied(ticket, at=now)
    return message


def _move(ticket: Ticket, status: str, actor, channel: str, reason: str, now: datetime) -> None:
    """Change the status, write the history row and move the SLA clocks: every status change does this."""
    previous = ticket.status
    ticket.status = status
    if status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        ticket.resolved_at = None
    elif not (status == Ticket.Status.CLOSED and ticket.resolved_at is not None):
        # Closing a resolved ticket keeps the moment it was resolved: that is what reports count.
        ticket.resolved_at = now
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    ticket_record(
        ticket=ticket,
        action="status_changed",
        channel=channel,
        actor=actor,
        detail={"from": previous, "to": status, "reason": reason},
        at=now,
    )
    clocks.clocks_status_changed(ticket, old=previous, new=status, at=now)


# --- Attachments ---------------------------------------------------------------------------------

# What we accept, recognised by the first bytes of the file, never by its name or the browser's word.
_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),  # also .docx, .xlsx: Office files are zip archives
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-office"),
]


def sniff_content_type(content: bytes) -> str | None:
    """The type of an upload by its content; plain text (UTF-8, no NUL), XML and CSV count as text."""
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return "application/xml" if text.lstrip().startswith("<?xml") else "text/plain"


def _check_upload(upload) -> tuple[bytes, str]:
    size = getattr(upload, "size", None)
    if size is not None and size > settings.ATTACHMENT_MAX_BYTES:
        raise TicketError(f"{upload.name}: larger than {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MiB")
    content = upload.read(settings.ATTACHMENT_MAX_BYTES + 1)
    if len(content) > settings.ATTACHMENT_MAX_BYTES:
        raise TicketError(f"{upload.name}: larger than {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MiB")
    if not content:
        raise TicketError(f"{upload.name}: empty file")
    content_type = sniff_content_type(content)
    if content_type is None:
        raise TicketError(f"{upload.name}: not a type we accept (PDF, images, Office documents, text, XML, CSV)")
    return content, content_type


def _store_attachment(ticket, message, user, upload, content: bytes, content_type: str, *, internal: bool, now):
    name = (getattr(upload, "name", "") or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:255]
    attachment = TicketAttachment(
        ticket=ticket,
        message=message,
        uploaded_by=user,
        token=secrets.token_hex(16),
        original_name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        is_internal=internal,
        created_at=now,
    )
    attachment.file.save(attachment.token, ContentFile(content), save=False)
    attachment.save()
    return attachment


# --- Scope ---------------------------------------------------------------------------------------


@transaction.atomic
def ticket_scope_confirm(*, ticket: Ticket, agent, channel: str, reply: str | None = None) -> Ticket:
    """The agent agrees the request is outside the service: the polite reply goes out and the ticket
    is resolved."""
    _require_staff(agent, "decline a request")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.scope not in (Ticket.Scope.OUT_OF_SCOPE, Ticket.Scope.NOT_IN_PLAN):
        raise TicketError("this ticket is not flagged as out of scope")
    text = reply or ticket.scope_reply
    ticket.scope = Ticket.Scope.DECLINED
    ticket.save(update_fields=["scope", "updated_at"])
    ticket_record(
        ticket=ticket, action="scope_confirmed", channel=channel, actor=agent, detail={"reason": ticket.scope_reason}
    )
    ticket_reply(ticket=ticket, author=agent, body=text, channel=channel)
    return ticket_transition(
        ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent, channel=channel, reason="out of scope"
    )


@transaction.atomic
def ticket_scope_override(*, ticket: Ticket, agent, channel: str) -> Ticket:
    """The agent judges the request part of the service after all."""
    _require_staff(agent, "judge the scope")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    previous = ticket.scope
    ticket.scope = Ticket.Scope.IN_SCOPE
    ticket.save(update_fields=["scope", "updated_at"])
    ticket_record(ticket=ticket, action="scope_overridden", channel=channel, actor=agent, detail={"from": previous})
    return ticket


# --- Customer alignment --------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *, ticket: Ticket, agent, summary: str, channel: str, action: str = "", action_detail: dict | None = None
) -> ResolutionProposal:
    """The agent proposes a resolution; the ticket waits for the customer (its clocks pause)."""
    _require_staff(agent, "propose a resolution")
    if not summary.strip():
        raise TicketError("say what you propose")
    if action not in ResolutionProposal.Action.values:
        raise TicketError(f"unknown action {action!r}")
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "sla_policy__calendar")
        .get(pk=ticket.pk)
    )
    if not ticket.is_open:
        raise TicketError("the ticket is not open")
    now = timezone.now()
    ResolutionProposal.objects.filter(ticket=ticket, status=ResolutionProposal.Status.PROPOSED).update(
        status=ResolutionProposal.Status.WITHDRAWN
    )
    proposal = ResolutionProposal.objects.create(
        ticket=ticket,
        proposed_by=agent,
        summary=summary,
        action=action,
        action_detail=action_detail or {},
        created_at=now,
    )
    ticket_record(
        ticket=ticket,
        action="resolution_proposed",
        channel=channel,
        actor=agent,
        detail={"proposal_id": proposal.pk, "action": action, "summary": summary[:500]},
        at=now,
    )
    if ticket.status != Ticket.Status.PENDING_CUSTOMER:
        _move(ticket, Ticket.Status.PENDING_CUSTOMER, agent, channel, "waiting for the customer's decision", now)
    return proposal


@transaction.atomic
def proposal_decide(
    *, proposal: ResolutionProposal, customer, accept: bool, channel: str, note: str = ""
) -> ResolutionProposal:
    """The customer accepts or rejects; either way the ticket is back with the agent."""
    proposal = (
        ResolutionProposal.objects.select_for_update(of=("self",))
        .select_related("ticket__organisation")
        .get(pk=proposal.pk)
    )
    ticket = proposal.ticket
    _check_access(ticket, customer)
    if customer is None or customer.is_support_staff:
        raise TicketError("only the customer decides on a proposed resolution")
    if proposal.status != ResolutionProposal.Status.PROPOSED:
        raise TicketError(f"this proposal is already {proposal.get_status_display().lower()}")
    now = timezone.now()
    proposal.status = ResolutionProposal.Status.ACCEPTED if accept else ResolutionProposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_note = customer, now, note
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    ticket_record(
        ticket=ticket,
        action="proposal_accepted" if accept else "proposal_rejected",
        channel=channel,
        actor=customer,
        detail={"proposal_id": proposal.pk, "note": note[:500]},
        at=now,
    )
    ticket = Ticket.objects.select_related("organisation", "sla_policy__calendar").get(pk=ticket.pk)
    if ticket.status == Ticket.Status.PENDING_CUSTOMER:
        _move(ticket, Ticket.Status.OPEN, customer, channel, "customer decided", now)
    return proposal


@transaction.atomic
def proposal_carry_out(*, proposal: ResolutionProposal, agent, channel: str) -> ResolutionProposal:
    """Only a proposal the customer accepted may be carried out."""
    _require_staff(agent, "carry out a resolution")
    proposal = ResolutionProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ResolutionProposal.Status.ACCEPTED:
        raise TicketError("only a resolution the customer accepted can be carried out")
    now = timezone.now()
    proposal.status = ResolutionProposal.Status.CARRIED_OUT
    proposal.carried_out_by, proposal.carried_out_at = agent, now
    proposal.save(update_fields=["status", "carried_out_by", "carried_out_at"])
    ticket_record(
        ticket=proposal.ticket,
        action="resolution_carried_out",
        channel=channel,
        actor=agent,
        detail={"proposal_id": proposal.pk, "action": proposal.action},
        at=now,
    )
    return proposal
