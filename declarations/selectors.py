"""Reads of declarations, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import Declaration


def declaration_queryset_for_user(*, user: User) -> QuerySet[Declaration]:
    """Every declaration for support staff; only their organisation's for a customer."""
    queryset = Declaration.objects.all()
    if not user.is_support_staff:
        queryset = queryset.filter(organisation_id=user.organisation_id)
    return queryset


def declaration_list_recent(*, user: User, limit: int = 50) -> list[Declaration]:
    """The most recently changed declarations (uses the organisation + last event index)."""
    return list(
        declaration_queryset_for_user(user=user)
        .select_related("organisation")
        .order_by("-last_event_at", "-id")[:limit]
    )
