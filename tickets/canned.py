"""Canned replies filled in for one ticket: the agent starts from a finished text, not a template."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from .models import CannedReply, Ticket


class _KeepUnknown(dict):
    # A placeholder the desk does not know stays visible, for the agent to fill in by hand.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def canned_replies_for(ticket: Ticket) -> list[CannedReply]:
    """Active canned replies, those meant for the ticket's type first."""
    fits = Case(When(ticket_type=ticket.ticket_type, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(CannedReply.objects.filter(is_active=True).annotate(fits=fits).order_by("fits", "title"))


def canned_reply_render(canned: CannedReply, *, ticket: Ticket, agent) -> str:
    declaration = ticket.declarations.order_by("id").first()
    requester = ticket.requester
    values = _KeepUnknown(
        requester=(requester.first_name or requester.username) if requester else "there",
        organisation=ticket.organisation.name,
        ticket=f"#{ticket.pk}",
        declaration=str(declaration) if declaration else "your declaration",
        agent=agent.first_name or agent.username,
    )
    try:
        return canned.body.format_map(values)
    except (ValueError, IndexError):
        # Stray braces in a body someone typed: show it as written rather than fail the page.
        return canned.body
