"""The access log in the admin, for superusers only and read-only. Encounters themselves are
not registered: they hold patient data, and editors must not see them."""

from django.contrib import admin

from guidance.content.admin import BoundedSearchMixin
from guidance.encounters.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "encounter_id"]
    list_filter = ["action", "at"]
    search_fields = ["user__username", "encounter__id"]
    list_select_related = ["user"]
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
