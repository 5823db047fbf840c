from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "cas_tenant_id", "support_plan", "created_at"]
    list_filter = ["support_plan"]
    search_fields = ["name", "cas_tenant_id"]


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    list_display = ["username", "email", "organisation", "role", "is_active"]
    list_filter = ["role", "organisation"]
    fieldsets = (*UserAdmin.fieldsets, ("Active Support", {"fields": ("organisation", "role")}))
