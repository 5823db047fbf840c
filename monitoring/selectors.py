"""Reads of feed health, scoped to what the user may see."""

from __future__ import annotations

from accounts.models import User

from .models import CasConnection, QuarantinedEvent


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
