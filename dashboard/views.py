"""The agent pages: what is arriving from CAS, what is wrong with it, and how each feed is doing."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from declarations.models import DeclarationEvent
from declarations.selectors import declaration_list_recent, declaration_queryset_for_user
from declarations.systems import customs_system_states
from monitoring.knowledge import suggestion_text
from monitoring.selectors import (
    alert_get_for_user,
    alert_list_open,
    alert_open_count_by_system,
    connection_list_for_user,
    incident_list_open,
    quarantine_open_count,
)
from tickets.canned import canned_replies_for, canned_reply_render
from tickets.clocks import sla_explain
from tickets.forms import PriorityForm, ProposalForm, ReplyForm, TransitionForm
from tickets.models import ResolutionProposal, Ticket
from tickets.selectors import (
    ticket_get_for_user,
    ticket_history_for_user,
    ticket_messages_for_user,
    ticket_open_count_by_system,
    ticket_proposals,
    ticket_queue,
)
from tickets.services import (
    TicketError,
    proposal_carry_out,
    proposal_create,
    ticket_assign,
    ticket_reply,
    ticket_scope_confirm,
    ticket_scope_override,
    ticket_set_priority,
    ticket_transition,
)

from .forms import QueueFilterForm


def support_staff_required(view):
    """Agent pages: support staff only; a customer is sent to the portal."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_support_staff:
            return redirect("portal-home")
        return view(request, *args, **kwargs)

    return wrapped


def _feed_context(request) -> dict:
    return {
        "systems": customs_system_states(
            open_alerts=alert_open_count_by_system(user=request.user),
            open_tickets=ticket_open_count_by_system(user=request.user),
        ),
        "declarations": declaration_list_recent(user=request.user, limit=50),
        "connections": connection_list_for_user(user=request.user),
        "quarantined": quarantine_open_count(user=request.user),
        "alerts": alert_list_open(user=request.user, limit=30),
        "incidents": incident_list_open(user=request.user),
    }


@support_staff_required
def home(request):
    return render(request, "dashboard/home.html", _feed_context(request))


@support_staff_required
def feed_partial(request):
    """What htmx swaps in every few seconds, so declarations and alerts appear without a reload."""
    return render(request, "dashboard/_feed.html", _feed_context(request))


@login_required
def alert_detail(request, alert_id: int):
    """One alert: what is wrong, the field it points at, the suggested resolution, the evidence."""
    alert = alert_get_for_user(user=request.user, alert_id=alert_id)
    if alert is None:
        raise Http404("No such alert")
    context = {
        "alert": alert,
        "suggestion": suggestion_text(alert.knowledge_entry, field_name=alert.field_name, field_path=alert.field_path),
        "entry": alert.knowledge_entry,
        "events": alert.events.order_by("event_time", "id")[:50],
    }
    return render(request, "dashboard/alert.html", context)


# --- Tickets (agents) ----------------------------------------------------------------------------


@support_staff_required
def ticket_queue_page(request):
    """The work queue, most urgent first. htmx asks for the rows alone: on a filter change (the URL
    follows) and every few seconds, so countdowns and new tickets arrive without a reload."""
    form = QueueFilterForm(request.GET)
    context = {
        "tickets": ticket_queue(user=request.user, filters=form.queue_filters()),
        "form": form,
        "filtered": any(value for key, value in request.GET.items() if key in form.fields),
        "now": timezone.now(),
    }
    if request.htmx:
        return render(request, "dashboard/_queue.html", context)
    return render(request, "dashboard/tickets.html", context)


@support_staff_required
def ticket_page(request, ticket_id: int):
    ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket")
    canned = canned_replies_for(ticket)
    reply_box = {
        "ticket": ticket,
        "canned_replies": canned,
        "reply_form": ReplyForm(initial={"body": _canned_body(request, ticket, canned)}),
    }
    if request.htmx and request.htmx.target == "reply-box":
        # Inserting a canned reply redraws the reply box alone: none of the rest is read.
        return render(request, "dashboard/_reply_box.html", reply_box)
    context = {
        **reply_box,
        "messages_": ticket_messages_for_user(ticket=ticket, user=request.user),
        "history": ticket_history_for_user(ticket=ticket, user=request.user),
        "proposals": ticket_proposals(ticket=ticket),
        "declarations": ticket.declarations.order_by("id")[:50],
        "declaration_count": ticket.declarations.count(),
        "alerts": ticket.alerts.select_related("declaration").order_by("-last_seen_at")[:50],
        "incidents": ticket.incidents.all(),
        "sla": sla_explain(ticket),
        "proposal_form": ProposalForm(),
        "transition_form": TransitionForm(initial={"status": ticket.status}),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
    }
    return render(request, "dashboard/ticket.html", context)


def _canned_body(request, ticket: Ticket, canned: list) -> str:
    """The reply box starts from the canned reply the agent picked (``?canned=<id>``), filled in."""
    chosen = next((reply for reply in canned if str(reply.pk) == request.GET.get("canned")), None)
    return canned_reply_render(chosen, ticket=ticket, agent=request.user) if chosen else ""


@support_staff_required
@require_POST
def ticket_act(request, ticket_id: int, action: str):
    """One-click actions and forms of the ticket page; every change goes through tickets.services."""
    ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket")
    agent, channel = request.user, Ticket.Channel.DASHBOARD
    try:
        if action == "reply":
            form = ReplyForm(request.POST, request.FILES)
            if not form.is_valid():
                raise TicketError(_form_errors(form))
            ticket_reply(
                ticket=ticket,
                author=agent,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                files=form.cleaned_data["files"],
                channel=channel,
            )
        elif action == "propose":
            form = ProposalForm(request.POST)
            if not form.is_valid():
                raise TicketError(_form_errors(form))
            proposal_create(
                ticket=ticket,
                agent=agent,
                summary=form.cleaned_data["summary"],
                action=form.cleaned_data["action"],
                channel=channel,
            )
        elif action == "transition":
            form = TransitionForm(request.POST)
            if not form.is_valid():
                raise TicketError(_form_errors(form))
            ticket_transition(
                ticket=ticket,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                actor=agent,
                channel=channel,
            )
        elif action == "priority":
            form = PriorityForm(request.POST)
            if not form.is_valid():
                raise TicketError(_form_errors(form))
            ticket_set_priority(ticket=ticket, priority=form.cleaned_data["priority"], actor=agent, channel=channel)
        elif action == "assign-me":
            ticket_assign(ticket=ticket, assignee=agent, actor=agent, channel=channel)
        elif action == "scope-confirm":
            ticket_scope_confirm(ticket=ticket, agent=agent, channel=channel)
        elif action == "scope-override":
            ticket_scope_override(ticket=ticket, agent=agent, channel=channel)
        elif action == "carry-out":
            proposal = ResolutionProposal.objects.filter(ticket=ticket, pk=request.POST.get("proposal")).first()
            if proposal is None:
                raise TicketError("no such proposal on this ticket")
            proposal_carry_out(proposal=proposal, agent=agent, channel=channel)
        else:
            raise Http404("No such action")
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Done.")
    return redirect("ticket-page", ticket_id=ticket.pk)


def _form_errors(form) -> str:
    return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())


@support_staff_required
def declaration_page(request, declaration_id: int):
    """One declaration: its status timeline with the raw events, its errors with the field each points
    at, and the open alerts with their suggested resolution."""
    declaration = (
        declaration_queryset_for_user(user=request.user)
        .select_related("organisation")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None:
        raise Http404("No such declaration")
    events = list(DeclarationEvent.objects.filter(declaration=declaration).order_by("-event_time", "-id")[:100])
    alerts = list(declaration.alerts.select_related("knowledge_entry").order_by("-last_seen_at")[:20])
    for alert in alerts:
        alert.suggestion = suggestion_text(
            alert.knowledge_entry, field_name=alert.field_name, field_path=alert.field_path
        )
    return render(
        request,
        "dashboard/declaration.html",
        {
            "declaration": declaration,
            "events": events,
            "alerts": alerts,
            "tickets": declaration.tickets.order_by("-created_at")[:20],
        },
    )
