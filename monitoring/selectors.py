"""Reads of feed health and alerts, scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Count

from accounts.models import User

from .models import Alert, CasConnection, Incident, QuarantinedEvent


def connection_list_for_user(*, user: User) -> list[CasConnection]:
    queryset = CasConnection.objects.select_related("organisation").order_by("organisation__name", "name")
    if not user.is_support_staff:
        queryset = queryset.filter(organisation_id=user.organisation_id)
    return list(queryset)


def quarantine_open_count(*, user: User) -> int:
    queryset = QuarantinedEvent.objects.filter(status=QuarantinedEvent.Status.QUARANTINED)
    if not user.is_support_staff:
        queryset = queryset.filter(organisation_id=user.organisation_id)
    return queryset.count()


def alert_queryset_for_user(*, user: User):
    """Every alert for support staff; only their organisation's for a customer."""
    queryset = Alert.objects.all()
    if not user.is_support_staff:
        queryset = queryset.filter(organisation_id=user.organisation_id)
    return queryset


def alert_list_open(*, user: User, limit: int = 50) -> list[Alert]:
    """Open alerts, firing first, newest first (the partial index on open alerts per organisation)."""
    return list(
        alert_queryset_for_user(user=user)
        .filter(is_open=True)
        .select_related("organisation", "declaration", "incident")
        .order_by("state", "-last_seen_at", "-id")[:limit]  # "firing" sorts before "pending"
    )


def alert_get_for_user(*, user: User, alert_id: int) -> Alert | None:
    return (
        alert_queryset_for_user(user=user)
        .select_related("organisation", "declaration", "knowledge_entry", "incident", "ticket", "rule")
        .filter(pk=alert_id)
        .first()
    )


def incident_list_open(*, user: User) -> list[Incident]:
    queryset = Incident.objects.filter(is_open=True).select_related("organisation", "ticket")
    if not user.is_support_staff:
        queryset = queryset.filter(organisation_id=user.organisation_id)
    return list(queryset.order_by("-opened_at")[:20])


def alert_open_count_by_system(*, user: User) -> dict[str, int]:
    """Open alerts per customs system, for the customs systems panel."""
    rows = alert_queryset_for_user(user=user).filter(is_open=True).values("customs_system").annotate(n=Count("id"))
    return {row["customs_system"]: row["n"] for row in rows}
