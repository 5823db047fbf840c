"""The customer portal: the organisation's tickets in plain words, raising one, replying, deciding on a
proposed resolution; its declarations and alerts; CSV downloads; and, for customer admins, the
organisation's users. Every read goes through a selector scoped to the customer's organisation, every
change through ``tickets.services`` or ``accounts.services``."""

import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.forms import OrganisationUserAddForm, OrganisationUserForm
from accounts.models import User
from accounts.services import (
    AccountError,
    organisation_user_add,
    organisation_user_get,
    organisation_user_queryset,
    organisation_user_send_password_link,
    organisation_user_update,
)
from declarations.lifecycle import KNOWN_STATUSES, PHASES
from declarations.selectors import declaration_queryset_for_user
from monitoring.knowledge import suggestion_text
from monitoring.models import Alert
from monitoring.selectors import alert_queryset_for_user
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

from .exports import REPORTS, csv_lines

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
            # The deadline in the reader's own zone (and said so); business hours stay the calendar's.
            lines.append(f"{promise}, by {_when(metric.due_at)} ({timezone.get_current_timezone_name()} time).")
    if explained.calendar:
        lines.append(f"Business hours: {explained.calendar}, public holidays excluded.")
    return lines


def _when(instant) -> str:
    local = timezone.localtime(instant)
    return local.strftime("%a %d %b %H:%M")


@customer_required
def portal_ticket_new(request: HttpRequest) -> HttpResponse:
    """Raise a ticket. The questions follow the chosen type: changing it fetches that type's questions
    (htmx swaps them in; without JavaScript the "show the questions" button posts the form back and
    the page comes back with them), keeping the answers given so far."""
    if request.method == "POST" and request.POST.get("step") != "questions":
        form = NewTicketForm(request.POST, request.FILES)
        if form.is_valid():
            ticket = _ticket_raise(request, form)
            if ticket is not None:
                return redirect("portal-ticket", ticket_id=ticket.pk)
    else:
        form = NewTicketForm(initial=_new_ticket_initial(request.POST if request.method == "POST" else request.GET))
    template = "portal/_ticket_questions.html" if request.htmx else "portal/new_ticket.html"
    return render(request, template, {"form": form})


def _new_ticket_initial(params: QueryDict) -> dict[str, str]:
    initial = {name: params.get(name) for name in NewTicketForm.base_fields if name != "files" and params.get(name)}
    # The "Raise a ticket about this declaration" link says ?reference=.
    if params.get("reference") and "declaration_reference" not in initial:
        initial["declaration_reference"] = params["reference"]
    return initial


def _ticket_raise(request: HttpRequest, form: NewTicketForm) -> Ticket | None:
    """Open the ticket the form describes, linked to the organisation's declaration with that exact LRN
    or MRN; on a refusal, the reason goes on the form and ``None`` comes back."""
    data = form.cleaned_data
    reference = data.get("declaration_reference", "")
    declarations = []
    if reference:
        declarations = list(
            declaration_queryset_for_user(user=request.user)
            .filter(Q(lrn=reference) | Q(mrn=reference))
            .values_list("id", flat=True)[:5]
        )
    try:
        # One piece: a refused attachment leaves no ticket behind for the customer to raise twice.
        with transaction.atomic():
            ticket = ticket_open(
                organisation_id=request.user.organisation_id,
                subject=data["subject"],
                description=form.ticket_description(),
                channel=CHANNEL,
                ticket_type=data["ticket_type"],
                priority=data["priority"],
                customs_system=data.get("customs_system", ""),
                requester=request.user,
                declaration_ids=declarations,
            )
            if data["files"]:
                ticket_reply(
                    ticket=ticket, author=request.user, body="Attachments", files=data["files"], channel=CHANNEL
                )
    except TicketError as error:
        form.add_error(None, str(error))
        return None
    note = f"Ticket #{ticket.pk} raised. We will answer within the time shown below."
    if reference and not declarations:
        note += f" We found no declaration {reference} among yours yet: the agent will look for it."
    messages.success(request, note)
    return ticket


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


# --- Declarations and alerts ---------------------------------------------------------------------

LIST_LIMIT = 100

# An alert's state as the customer reads it.
ALERT_STATE_WORDS = {
    Alert.State.PENDING: "Just noticed: we are checking whether it clears by itself",
    Alert.State.FIRING: "Needs attention: our team is on it",
    Alert.State.RESOLVED: "Resolved",
}


@customer_required
def portal_declarations(request: HttpRequest) -> HttpResponse:
    """The organisation's declarations, most recent event first. The search is an exact LRN, MRN or trader
    reference, so it stays an index lookup however many declarations there are."""
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    declarations = declaration_queryset_for_user(user=request.user).only(
        "id",
        "lrn",
        "mrn",
        "customs_system",
        "declaration_type",
        "additional_declaration_type",
        "status",
        "trader_reference",
        "last_event_at",
        "cas_id",
    )
    if query:
        declarations = declarations.filter(Q(lrn=query) | Q(mrn=query) | Q(trader_reference=query))
    if status in KNOWN_STATUSES:
        declarations = declarations.filter(status=status)
    rows = list(declarations.order_by("-last_event_at", "-id")[: LIST_LIMIT + 1])  # one more says "there are more"
    context = {
        "declarations": rows[:LIST_LIMIT],
        "more": len(rows) > LIST_LIMIT,
        "limit": LIST_LIMIT,
        "q": query,
        "status": status if status in KNOWN_STATUSES else "",
        "phases": [(phase.replace("_", " ").capitalize(), statuses) for phase, statuses in PHASES.items()],
    }
    return render(request, "portal/declarations.html", context)


@customer_required
def portal_declaration(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """One declaration in the customer's words: facts, errors and the fields they point at, the status
    timeline, what we are watching on it and the tickets about it."""
    declaration = declaration_queryset_for_user(user=request.user).filter(pk=declaration_id).first()
    if declaration is None:
        raise Http404("No such declaration")
    alerts = list(
        alert_queryset_for_user(user=request.user)
        .filter(declaration=declaration, state__in=(Alert.State.PENDING, Alert.State.FIRING))
        .select_related("knowledge_entry")
        .order_by("-last_seen_at", "-id")[:20]
    )
    for alert in alerts:
        alert.suggestion = suggestion_text(
            alert.knowledge_entry, field_name=alert.field_name, field_path=alert.field_path
        )
        alert.state_words = ALERT_STATE_WORDS[alert.state]
    events = declaration.events.only("event_time", "event_type", "status").order_by("-event_time", "-id")[:100]
    context = {
        "declaration": declaration,
        "errors": _error_rows(declaration.errors),
        "events": [(event.event_time, _event_words(event.event_type), event.status) for event in events],
        "alerts": alerts,
        "tickets": ticket_queryset_for_user(user=request.user)
        .filter(declarations=declaration)
        .order_by("-created_at")[:20],
        "reference": declaration.mrn or declaration.lrn,
    }
    return render(request, "portal/declaration.html", context)


def _event_words(event_type: str) -> str:
    """ "DeclarationStatusChanged" as "Declaration status changed"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", event_type).capitalize()


def _error_rows(errors: object) -> list[dict[str, str]]:
    """The errors of the latest event as rows (code, message, the fields they point at), tolerant of
    whatever shape CAS sent: the page must show, not fail."""
    rows = []
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        references = error.get("fieldReference") or []
        fields = [
            " ".join(filter(None, [str(ref.get("fieldName") or ""), f"({ref['path']})" if ref.get("path") else ""]))
            for ref in references
            if isinstance(ref, dict)
        ]
        rows.append(
            {
                "source": str(error.get("source") or ""),
                "code": str(error.get("errorCode") or ""),
                "message": str(error.get("message") or ""),
                "description": str(error.get("description") or ""),
                "fields": ", ".join(field for field in fields if field),
            }
        )
    return rows


@customer_required
def portal_alerts(request: HttpRequest) -> HttpResponse:
    """What we are watching for the organisation: open alerts, and those resolved in the last 30 days."""
    alerts = alert_queryset_for_user(user=request.user).select_related("declaration", "knowledge_entry")
    alerts = alerts.only(
        "id",
        "kind",
        "reason_code",
        "field_name",
        "field_path",
        "state",
        "last_seen_at",
        "resolved_at",
        "declaration__id",
        "declaration__lrn",
        "declaration__mrn",
        "declaration__trader_reference",
        "knowledge_entry__title",
    )
    # Each list follows the (organisation, state, last seen) index.
    open_alerts = list(
        alerts.filter(state__in=(Alert.State.PENDING, Alert.State.FIRING)).order_by("-last_seen_at", "-id")[:LIST_LIMIT]
    )
    resolved = list(
        alerts.filter(state=Alert.State.RESOLVED, resolved_at__gte=timezone.now() - timedelta(days=30)).order_by(
            "-last_seen_at", "-id"
        )[:LIST_LIMIT]
    )
    for alert in (*open_alerts, *resolved):
        alert.state_words = ALERT_STATE_WORDS[alert.state]
    return render(request, "portal/alerts.html", {"open_alerts": open_alerts, "resolved": resolved})


# --- Downloads -----------------------------------------------------------------------------------


@customer_required
def portal_reports(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/reports.html", {"reports": REPORTS.items()})


@customer_required
def portal_report_download(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    report = REPORTS.get(slug)
    if report is None:
        raise Http404("No such report")
    response = StreamingHttpResponse(csv_lines(report, request.user), content_type="text/csv; charset=utf-8")
    filename = f"activesupport-{slug}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The organisation's users (customer admins) --------------------------------------------------


def customer_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """User management is for the organisation's admins; other customers are refused (403)."""

    @customer_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.role != User.Role.CUSTOMER_ADMIN:
            raise PermissionDenied("Only your organisation's admins manage its users.")
        return view(request, *args, **kwargs)

    return wrapped


@customer_admin_required
def portal_users(request: HttpRequest) -> HttpResponse:
    users = organisation_user_queryset(by=request.user).order_by("last_name", "first_name", "username")
    return render(request, "portal/users.html", {"users": users})


@customer_admin_required
def portal_user_new(request: HttpRequest) -> HttpResponse:
    # Colleagues usually sit where the admin does.
    form = OrganisationUserAddForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            user = organisation_user_add(by=request.user, site_url=request.build_absolute_uri("/"), **form.cleaned_data)
        except AccountError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"{user.username} is added. We emailed {user.email} a link to choose a password.")
            return redirect("portal-users")
    return render(request, "portal/user_form.html", {"form": form, "member": None})


@customer_admin_required
def portal_user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    member = organisation_user_get(by=request.user, user_id=user_id)
    if member is None:
        raise Http404("No such user")
    if request.method == "POST" and request.POST.get("action") == "send-link":
        try:
            organisation_user_send_password_link(by=request.user, user=member, site_url=request.build_absolute_uri("/"))
        except AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"We emailed {member.email} a link to choose a password.")
        return redirect("portal-user-edit", user_id=member.pk)
    form = OrganisationUserForm.for_user(member, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_user_update(by=request.user, user=member, **form.cleaned_data)
        except AccountError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"{member.username} is updated.")
            return redirect("portal-users")
    return render(request, "portal/user_form.html", {"form": form, "member": member})
