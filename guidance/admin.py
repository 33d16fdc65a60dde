"""The editors' admin: guideline content with search, filters, ordered citations and history.

Encounters are deliberately not registered: they hold patient data, and editors must not
reach them. The access log is for superusers only, and read-only.
"""

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from guidance.models import (
    AccessLog,
    Citation,
    Guideline,
    Section,
    Statement,
    StatementCitation,
)

admin.site.site_header = "LEMS IVIG pathway: guideline editors"
admin.site.site_title = "LEMS IVIG editors"
admin.site.index_title = "Guideline content"


@admin.register(Guideline)
class GuidelineAdmin(SimpleHistoryAdmin):
    list_display = ["title", "revision", "revision_date"]
    readonly_fields = ["slug"]


@admin.register(Section)
class SectionAdmin(SimpleHistoryAdmin):
    list_display = ["order", "title", "part", "guideline"]
    list_display_links = ["title"]
    list_filter = ["guideline"]
    search_fields = ["title", "intro"]


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["number", "authors", "title", "year", "doi", "pmid"]
    list_display_links = ["title"]
    list_filter = ["guideline"]
    search_fields = ["authors", "title", "journal", "doi", "pmid", "note"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class StatementCitationInline(admin.StackedInline):
    model = StatementCitation
    autocomplete_fields = ["citation"]
    fields = ["order", "citation"]
    extra = 0
    verbose_name = "citation"
    verbose_name_plural = "citations, in the order the statement cites them"


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin):
    list_display = ["code", "short_text", "kind", "section", "verification", "origin"]
    list_filter = ["section", "kind", "verification", "origin", "evidence_quality"]
    search_fields = ["text", "code", "verification_note"]
    list_select_related = ["section"]
    inlines = [StatementCitationInline]
    fieldsets = [
        (None, {"fields": ["guideline", "section", "order", "code", "kind", "origin"]}),
        ("Text and evidence", {"fields": ["text", "evidence_quality"]}),
        ("Verification", {"fields": ["verification", "verification_note"]}),
    ]

    @admin.display(description="text")
    def short_text(self, statement):
        return statement.text if len(statement.text) <= 90 else statement.text[:89] + "…"

    def get_readonly_fields(self, request, obj=None):
        # The pathway refers to statements by code: once created, a code never changes.
        return ["code"] if obj else []


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
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
