from django.contrib import admin

from accounts.admin_access import ConfigurationAdmin

from .models import CannedReply, SlaCalendar, SlaPolicy, Ticket, TicketActivity


class TicketActivityInline(admin.TabularInline):
    model = TicketActivity
    extra = 0
    can_delete = False
    readonly_fields = ["at", "channel", "actor", "action", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # the history is written by tickets.services only


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "organisation", "ticket_type", "priority", "status", "alert_kind", "created_at"]
    list_filter = ["status", "priority", "ticket_type"]
    search_fields = ["subject"]
    readonly_fields = [field.name for field in Ticket._meta.fields]
    inlines = [TicketActivityInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigurationAdmin):
    allow_delete = False  # clock rows point at policies: disable one instead
    list_display = [
        "position",
        "name",
        "is_enabled",
        "match_plan",
        "match_priority",
        "match_ticket_type",
        "first_response_minutes",
        "next_update_minutes",
        "resolution_minutes",
        "calendar",
        "version",
    ]
    list_display_links = ["name"]
    readonly_fields = ["version", "updated_at"]


@admin.register(SlaCalendar)
class SlaCalendarAdmin(ConfigurationAdmin):
    allow_delete = False
    list_display = ["name", "time_zone", "holiday_country", "version", "updated_at"]
    readonly_fields = ["version", "updated_at"]


@admin.register(CannedReply)
class CannedReplyAdmin(ConfigurationAdmin):
    list_display = ["title", "ticket_type", "is_active", "updated_at"]
    list_filter = ["is_active", "ticket_type"]
    search_fields = ["title", "body"]
