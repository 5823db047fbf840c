from django.contrib import admin

from .models import Declaration, DeclarationEvent


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["lrn", "mrn", "organisation", "customs_system", "declaration_type", "status", "last_event_at"]
    list_filter = ["customs_system", "status", "organisation"]
    search_fields = ["lrn", "mrn", "cas_id", "trader_reference"]
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    readonly_fields = [field.name for field in Declaration._meta.fields]


@admin.register(DeclarationEvent)
class DeclarationEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "status", "event_time", "received_at", "source"]
    list_filter = ["event_type", "source"]
    search_fields = ["event_id"]
    show_full_result_count = False
    readonly_fields = [field.name for field in DeclarationEvent._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the history is append-only
