from django.contrib import admin, messages

from .ingest import quarantine_replay
from .models import CasConnection, QuarantinedEvent


@admin.register(CasConnection)
class CasConnectionAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "name",
        "is_enabled",
        "last_success_at",
        "consecutive_failures",
        "last_error",
        "events_applied",
        "events_quarantined",
    ]
    list_filter = ["is_enabled"]
    readonly_fields = [
        "cursor",  # moved only by the poller, with the events it covers; a form must not write it back
        "next_poll_at",
        "lease_expires_at",
        "last_poll_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "consecutive_failures",
        "last_push_at",
        "events_applied",
        "events_duplicate",
        "events_quarantined",
        "unknown_statuses",
    ]
    exclude = ["access_token", "access_token_expires_at", "lease_token"]


@admin.register(QuarantinedEvent)
class QuarantinedEventAdmin(admin.ModelAdmin):
    list_display = ["reason", "event_id", "connection", "source", "status", "occurrences", "last_seen_at"]
    list_filter = ["status", "reason", "source"]
    search_fields = ["event_id", "detail"]
    readonly_fields = [
        "connection",
        "organisation",
        "source",
        "raw_body",
        "body_sha256",
        "event_id",
        "reason",
        "detail",
        "status",
        "occurrences",
        "first_seen_at",
        "last_seen_at",
        "resolved_at",
        "resolved_by",
        "replay_detail",
    ]
    actions = ["replay"]

    @admin.action(description="Replay the selected events (after fixing the cause)")
    def replay(self, request, queryset):
        for entry in queryset:
            result = quarantine_replay(entry_id=entry.pk, by=request.user)
            level = messages.ERROR if result.outcome == "refused" else messages.SUCCESS
            self.message_user(request, f"{entry}: {result.outcome} ({result.detail})", level)
