"""The customer portal: the organisation's tickets in plain words, raising one, replying, deciding on a
proposed resolution. Every read goes through a selector scoped to the customer's organisation, every
change through ``tickets.services``."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from declarations.selectors import declaration_queryset_for_user
from tickets.clocks import business_duration_text, sla_explain
from tickets.forms import CustomerReplyForm, DecisionForm, NewTicketForm
from tickets.models import ResolutionProposal, Ticket
from tickets.selectors import (
    ticket_get_for_user,
    ticket_history_for_user,
    ticket_messages_for_user,
    ticket_proposals,
    ticket_queryset_for_user,
)
from tickets.services import TicketError, proposal_decide, ticket_open, ticket_reply

CHANNEL = Ticket.Channel.PORTAL


def customer_required(view):
    """Portal pages are the customer's; support staff work from the dashboard."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_support_staff:
            return redirect("ticket-queue")
        return view(request, *args, **kwargs)

    return wrapped


@customer_required
def portal_home(request):
    tickets = list(
        ticket_queryset_for_user(user=request.user).select_related("sla_policy__calendar").order_by("-updated_at")[:100]
    )
    return render(request, "portal/home.html", {"tickets": tickets, "now": timezone.now()})


@customer_required
def portal_ticket(request, ticket_id: int):
    ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket")
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": ticket,
            "messages_": ticket_messages_for_user(ticket=ticket, user=request.user),
            "history": ticket_history_for_user(ticket=ticket, user=request.user),
            "proposals": ticket_proposals(ticket=ticket),
            "sla_lines": sla_in_plain_words(ticket),
            "reply_form": CustomerReplyForm(),
            "decision_form": DecisionForm(),
        },
    )


def sla_in_plain_words(ticket: Ticket) -> list[str]:
    """The SLA for the customer: what we promise, by when, and whether the clock waits for them."""
    explained = sla_explain(ticket)
    lines = []
    for metric in explained.metrics:
        if metric.target is None or metric.status in ("not started", "no target", "no longer applies"):
            continue
        promise = f"{metric.label}: within {business_duration_text(metric.target)}"
        if metric.status == "met":
            lines.append(f"{promise}, done on {_when(metric.fulfilled_at)}.")
        elif metric.status == "paused":
            lines.append(f"{promise}. The clock is paused while we wait for you.")
        elif metric.status == "breached":
            lines.append(f"{promise}. We are late on this one; it has priority.")
        else:
            lines.append(f"{promise}, by {_when(metric.due_at)} ({explained.time_zone} time).")
    if explained.calendar:
        lines.append(f"Business hours: {explained.calendar}, public holidays excluded.")
    return lines


def _when(instant) -> str:
    local = timezone.localtime(instant)
    return local.strftime("%a %d %b %H:%M")


@customer_required
def portal_ticket_new(request):
    form = NewTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reference = data["declaration_reference"].strip()
        declarations = []
        if reference:
            declarations = list(
                declaration_queryset_for_user(user=request.user)
                .filter(Q(lrn=reference) | Q(mrn=reference))
                .values_list("id", flat=True)[:5]
            )
        description = data["description"]
        if reference:
            description += f"\n\nDeclaration reference: {reference}"
        if data["customs_system"]:
            description += f"\nCustoms system: {data['customs_system']}"
        try:
            ticket = ticket_open(
                organisation_id=request.user.organisation_id,
                subject=data["subject"],
                description=description,
                channel=CHANNEL,
                ticket_type=data["ticket_type"],
                priority=data["priority"],
                requester=request.user,
                declaration_ids=declarations,
            )
            if data["files"]:
                ticket_reply(
                    ticket=ticket, author=request.user, body="Attachments", files=data["files"], channel=CHANNEL
                )
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Ticket #{ticket.pk} raised. We will answer within the time shown below.")
            return redirect("portal-ticket", ticket_id=ticket.pk)
    return render(request, "portal/new_ticket.html", {"form": form})


@customer_required
@require_POST
def portal_ticket_reply(request, ticket_id: int):
    ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket")
    form = CustomerReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
                channel=CHANNEL,
            )
            messages.success(request, "Your message was sent.")
        except TicketError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, "Please write a message.")
    return redirect("portal-ticket", ticket_id=ticket.pk)


@customer_required
@require_POST
def portal_proposal_decide(request, ticket_id: int, proposal_id: int):
    ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    proposal = ResolutionProposal.objects.filter(ticket=ticket, pk=proposal_id).first() if ticket else None
    if proposal is None:
        raise Http404("No such proposal")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            proposal_decide(
                proposal=proposal,
                customer=request.user,
                accept=form.cleaned_data["decision"] == "accept",
                note=form.cleaned_data["note"],
                channel=CHANNEL,
            )
            messages.success(request, "Thank you: your decision is recorded and the agent carries on.")
        except TicketError as error:
            messages.error(request, str(error))
    return redirect("portal-ticket", ticket_id=ticket.pk)
