from django.contrib import admin, messages

from accounts.admin_access import ConfigurationAdmin

from .ingest import quarantine_replay
from .models import Alert, AlertRule, CasConnection, Incident, KnowledgeEntry, OverdueWindow, QuarantinedEvent


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


@admin.register(AlertRule)
class AlertRuleAdmin(ConfigurationAdmin):
    list_display = [
        "position",
        "name",
        "is_enabled",
        "match_event_type",
        "match_status",
        "match_error_source",
        "match_function_code",
        "kind",
        "severity",
        "reason_from",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "is_enabled"]
    list_filter = ["kind", "is_enabled"]


@admin.register(OverdueWindow)
class OverdueWindowAdmin(ConfigurationAdmin):
    list_display = [
        "watch",
        "organisation",
        "customs_system",
        "route_of_examination",
        "minutes",
        "business_hours",
        "note",
    ]
    list_filter = ["watch"]


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(ConfigurationAdmin):
    list_display = ["key", "level", "family", "category", "customs_system", "procedure_code", "title"]
    list_filter = ["level", "category", "family"]
    search_fields = ["key", "title", "official_text", "explanation"]
    readonly_fields = ["updated_at", "updated_by"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["kind", "reason_code", "state", "organisation", "declaration", "occurrences", "last_seen_at"]
    list_filter = ["state", "kind"]
    search_fields = ["reason_code", "fingerprint"]
    show_full_result_count = False
    readonly_fields = [field.name for field in Alert._meta.fields]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["kind", "organisation", "summary", "is_open", "opened_at", "resolved_at", "ticket"]
    list_filter = ["kind", "is_open"]
    readonly_fields = [field.name for field in Incident._meta.fields]
