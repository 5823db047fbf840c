from django.contrib import admin

from .models import Ticket, TicketActivity


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
