"""The first agent pages: what is arriving from CAS, what is wrong with it, and how each feed is doing."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from declarations.selectors import declaration_list_recent
from monitoring.knowledge import suggestion_text
from monitoring.selectors import (
    alert_get_for_user,
    alert_list_open,
    connection_list_for_user,
    incident_list_open,
    quarantine_open_count,
)


def _feed_context(request) -> dict:
    return {
        "declarations": declaration_list_recent(user=request.user, limit=50),
        "connections": connection_list_for_user(user=request.user),
        "quarantined": quarantine_open_count(user=request.user),
        "alerts": alert_list_open(user=request.user, limit=30),
        "incidents": incident_list_open(user=request.user),
    }


@login_required
def home(request):
    return render(request, "dashboard/home.html", _feed_context(request))


@login_required
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
