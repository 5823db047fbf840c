"""Who may do what in the Django admin with the desk's configuration tables."""

from django.contrib import admin


def is_support_admin(user) -> bool:
    return user.is_active and (user.is_superuser or getattr(user, "role", "") == "support_admin")


def is_support_staff(user) -> bool:
    return user.is_active and (user.is_superuser or getattr(user, "is_support_staff", False))


class ConfigurationAdmin(admin.ModelAdmin):
    """Configuration (rule tables, windows, knowledge base, SLA policies and calendars): agents read
    it, support admins change it."""

    allow_delete = True

    def has_view_permission(self, request, obj=None) -> bool:
        return is_support_staff(request.user)

    def has_module_permission(self, request) -> bool:
        return is_support_staff(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_support_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return is_support_admin(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.allow_delete and is_support_admin(request.user)

    def save_model(self, request, obj, form, change) -> None:
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = request.user
        super().save_model(request, obj, form, change)
