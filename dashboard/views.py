"""The first agent page: what is arriving from CAS, and how each feed is doing."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from declarations.selectors import declaration_list_recent
from monitoring.selectors import connection_list_for_user, quarantine_open_count


def _feed_context(request) -> dict:
    return {
        "declarations": declaration_list_recent(user=request.user, limit=50),
        "connections": connection_list_for_user(user=request.user),
        "quarantined": quarantine_open_count(user=request.user),
    }


@login_required
def home(request):
    return render(request, "dashboard/home.html", _feed_context(request))


@login_required
def feed_partial(request):
    """What htmx swaps in every few seconds, so declarations appear without a reload."""
    return render(request, "dashboard/_feed.html", _feed_context(request))
