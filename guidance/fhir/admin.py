"""FHIR API tokens in the admin, for superusers only: issue one for an account (shown once),
revoke it. The raw token is never stored, only its hash (guidance/fhir/models.py)."""

from django.contrib import admin, messages
from django.utils import timezone

from guidance.fhir.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "shown_start", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    fields = ["user", "name", "shown_start", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["shown_start", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and obj is None  # a token is issued, then only revoked

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay, as the record of who could call

    def save_model(self, request, obj, form, change):
        issued, raw = ApiToken.issue(obj.user, obj.name)
        obj.pk, obj.shown_start = issued.pk, issued.shown_start  # for the admin's log line
        self.message_user(
            request,
            f"Token for {obj.user} ({obj.name}): {raw}  Copy it now: it is shown only once "
            "and stored only as a hash.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
