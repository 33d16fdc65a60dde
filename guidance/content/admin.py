"""The editors' admin: guideline content with search, filters, ordered citations and history.

Encounters are deliberately not registered: they hold patient data, and editors must not
reach them (the access log's admin, for superusers, is in `guidance.encounters.admin`).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from guidance.content import revision_actions, revisions
from guidance.content.models import (
    GUIDELINE_ATTRIBUTES,
    GUIDELINE_SLUG,
    Citation,
    Guideline,
    Revision,
    Section,
    Statement,
    StatementCitation,
    other_revisions_citation,
)
from guidance.content.revision_actions import REVISION_EDITABLE
from lems_site.forms import AdminSignInForm
from lems_site.plain_text import PlainTextModelForm

admin.site.site_header = "LEMS IVIG pathway: guideline editors"
admin.site.site_title = "LEMS IVIG editors"
admin.site.index_title = "Guideline content"
# The admin's sign-in refuses an over-long user name as the main one does (no 500).
admin.site.login_form = AdminSignInForm


def is_id(value):
    """An id as the database stores it: ASCII digits that fit a 64-bit integer ("²" or a
    20-digit number in a URL would otherwise end in a 500)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


SEARCH_MAX_LENGTH = 200


class BoundedSearchMixin:
    """A search term of at most 200 characters: a huge one is a paste gone wrong, and
    SQLite refuses a LIKE pattern over 50,000 bytes (a 500)."""

    def get_search_results(self, request, queryset, search_term):
        if len(search_term) > SEARCH_MAX_LENGTH:
            self.message_user(
                request,
                f"Search for at most {SEARCH_MAX_LENGTH} characters "
                f"(that search had {len(search_term):,}).",
                messages.WARNING,
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class IdAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete, redrawn with a posted value that is not an id (the form
    already says it is not valid) instead of failing on it."""

    def optgroups(self, name, value, attr=None):
        ids = [item for item in value if item in (None, "") or is_id(str(item))]
        return super().optgroups(name, ids, attr)


class GuardedHistoryAdmin(BoundedSearchMixin, SimpleHistoryAdmin):
    """History you can read, and a revert that publishes nothing.

    simple-history's revert form checks permissions against the *historical* record (a
    "draft" record of a now published revision passes) and then saves whatever is posted.
    Here a revert is a change like any other: refused unless `may_revert` allows it for the
    row as it is now, whoever asks, superusers included. Hiding the button is not enough, so
    the POST itself is refused.
    """

    def may_revert(self, request, current, historical):
        return False

    def _revertible(self, request, obj):
        current = self.model.objects.filter(pk=obj.pk).first() if obj is not None else None
        return current is not None and self.may_revert(request, current, obj)

    def history_view(self, request, object_id, extra_context=None):
        if not is_id(object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (is_id(object_id) and is_id(version_id)):
            raise Http404
        record = get_object_or_404(self.model.history.model, id=object_id, history_id=version_id)
        if request.method == "POST" and not self._revertible(request, record.instance):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return super().revert_disabled(request, obj) or not self._revertible(request, obj)


@admin.register(Guideline)
class GuidelineAdmin(GuardedHistoryAdmin):
    """Only the slug is the guideline's own; what clinicians read of it is the revision's."""

    list_display = ["slug", "title", "published_revision"]
    readonly_fields = ["slug"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="published revision")
    def published_revision(self, guideline):
        revision = revisions.published_revision(guideline)
        return f"{revision.number} ({revision.published_on:%d %b %Y})" if revision else "none"


def editable_revision():
    """The revision editors work on: the open draft, else the published one (read-only)."""
    guideline = Guideline.objects.filter(slug=GUIDELINE_SLUG).first()
    if guideline is None:
        return None
    return revisions.open_draft(guideline) or revisions.published_revision(guideline)


class RevisionListFilter(admin.SimpleListFilter):
    """Content of one revision at a time: by default the open draft, else the published."""

    title = "revision"
    parameter_name = "revision"

    def lookups(self, request, model_admin):
        return [
            (str(revision.pk), str(revision)) for revision in Revision.objects.order_by("-number")
        ]

    def value(self):
        value = super().value()
        if value and is_id(value):
            return value
        # Missing or not an id (e.g. "²"): the revision editors work on.
        default = editable_revision()
        return str(default.pk) if default else None

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            return queryset.filter(revision_id=value)
        return queryset

    def choices(self, changelist):
        # No "All": content of different revisions side by side would read as duplicates.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class RevisionContentForm(PlainTextModelForm):
    def _get_validation_exclusions(self):
        # The revision is read-only once set, yet "code/number/order unique per revision"
        # must still be checked, or a duplicate reaches the database as a 500.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("revision")
        return exclusions


class DraftOnlyMixin:
    """Changed or deleted only in a draft (`obj` is the content row, or an inline's
    parent): a published, retired or in-review revision's content is read-only."""

    def _in_draft(self, obj):
        return obj is None or obj.revision.is_draft

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_draft(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_draft(obj)


class RevisionContentAdmin(DraftOnlyMixin, GuardedHistoryAdmin):
    """Content is edited only in a draft: a published, retired or in-review revision's
    content is read-only, for editors and reviewers alike."""

    form = RevisionContentForm

    def may_revert(self, request, current, historical):
        # Back to an earlier state of the same draft's row, by whoever may edit it now.
        return (
            self.has_change_permission(request, current)
            and historical.revision_id == current.revision_id
        )

    def get_readonly_fields(self, request, obj=None):
        return ["revision"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "revision":
            kwargs["queryset"] = Revision.objects.filter(status=Revision.Status.DRAFT)
        elif db_field.name == "section":
            kwargs["queryset"] = Section.objects.filter(revision__status=Revision.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Section)
class SectionAdmin(RevisionContentAdmin):
    list_display = ["order", "title", "part", "revision"]
    list_display_links = ["title"]
    list_filter = [RevisionListFilter]
    search_fields = ["title", "intro"]


@admin.register(Citation)
class CitationAdmin(RevisionContentAdmin):
    list_display = ["number", "authors", "title", "year", "doi", "pmid"]
    list_display_links = ["title"]
    list_filter = [RevisionListFilter]
    search_fields = ["authors", "title", "journal", "doi", "pmid", "note"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_search_results(self, request, queryset, search_term):
        if request.path == reverse("admin:autocomplete"):
            # A statement cites the citations of its own revision: the one being edited.
            revision = editable_revision()
            queryset = queryset.filter(revision=revision)
        return super().get_search_results(request, queryset, search_term)


class StatementCitationFormSet(forms.BaseInlineFormSet):
    """A statement cites only its own revision's citations. The model's check needs the
    statement saved; on the add form it is not yet, so the formset checks against the
    revision the form chose, and says so next to the citation."""

    def clean(self):
        super().clean()
        revision = self.instance.revision if self.instance.revision_id else None
        for form in self.forms:
            citation = getattr(form, "cleaned_data", {}).get("citation")
            if citation is None or self.can_delete and self._should_delete_form(form):
                continue
            if message := other_revisions_citation(revision, citation):
                form.add_error("citation", message)


class StatementCitationInline(DraftOnlyMixin, admin.StackedInline):
    model = StatementCitation
    formset = StatementCitationFormSet
    autocomplete_fields = ["citation"]
    fields = ["order", "citation"]
    extra = 0
    verbose_name = "citation"
    verbose_name_plural = "citations, in the order the statement cites them"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "citation":
            kwargs["widget"] = IdAutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._in_draft(obj)


@admin.register(Statement)
class StatementAdmin(RevisionContentAdmin):
    list_display = ["code", "short_text", "kind", "section", "verification", "origin"]
    list_filter = [
        RevisionListFilter,
        "kind",
        "verification",
        "origin",
        "evidence_quality",
    ]
    search_fields = ["text", "code", "verification_note"]
    list_select_related = ["section"]
    inlines = [StatementCitationInline]
    fieldsets = [
        (None, {"fields": ["revision", "section", "order", "code", "kind", "origin"]}),
        ("Text and evidence", {"fields": ["text", "evidence_quality"]}),
        ("Verification", {"fields": ["verification", "verification_note"]}),
    ]

    def save_model(self, request, obj, form, change):
        verification = revisions.verification_after_edit(obj)
        if verification != obj.verification:
            obj.verification = verification
            self.message_user(
                request,
                f"The text of {obj.code} differs from the published revision's, so its "
                'verification is now "Not confirmed". Check it against the cited sources, '
                "then set the verification with a note saying what they confirm.",
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)

    @admin.display(description="text")
    def short_text(self, statement):
        return statement.text if len(statement.text) <= 90 else statement.text[:89] + "…"

    def get_readonly_fields(self, request, obj=None):
        # The pathway refers to statements by code: once created, a code never changes.
        return ["revision", "code"] if obj else []


@admin.register(Revision)
class RevisionAdmin(GuardedHistoryAdmin):
    """The workflow: start a draft, submit it, then a second person publishes or returns it."""

    list_display = ["number", "status", "drafted_by", "reviewed_by", "published_at"]
    list_filter = ["status"]
    fields = [
        "guideline",
        "number",
        "status",
        "change_summary",
        *GUIDELINE_ATTRIBUTES,
        "drafted_by",
        "reviewed_by",
        "review_comment",
        "published_at",
        "created_at",
    ]
    form = PlainTextModelForm
    change_form_template = "admin/guidance/revision/change_form.html"
    change_list_template = "admin/guidance/revision/change_list.html"

    def has_add_permission(self, request):
        return False  # drafts are started with the "Start a draft" button

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Only a draft's change summary is edited here; the rest moves through the buttons.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.is_draft)

    def get_readonly_fields(self, request, obj=None):
        return [field for field in self.fields if field not in REVISION_EDITABLE]

    def may_revert(self, request, current, historical):
        # A draft's own text may go back to an earlier wording; `save_model` keeps its status.
        return current.is_draft and self.has_change_permission(request, current)

    def save_model(self, request, obj, form, change):
        # A revert saves the historical record: everything but what an editor writes comes
        # from the row as it is now, so no status, reviewer or date is ever restored.
        if change:
            current = Revision.objects.get(pk=obj.pk)
            for field in Revision._meta.concrete_fields:
                if field.name not in REVISION_EDITABLE:
                    setattr(obj, field.attname, getattr(current, field.attname))
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("start-draft/", view(self.start_draft_view), name="guidance_revision_start"),
            path(
                "<int:revision_id>/submit/",
                view(self.submit_view),
                name="guidance_revision_submit",
            ),
            path(
                "<int:revision_id>/review/",
                view(self.review_view),
                name="guidance_revision_review",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_submit": request.user.has_perm("guidance.change_revision"),
            "can_review": request.user.has_perm("guidance.publish_revision"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_start_draft": request.user.has_perm("guidance.add_revision"),
        }
        return super().changelist_view(request, extra_context)

    def start_draft_view(self, request):
        return revision_actions.start_draft(self, request)

    def submit_view(self, request, revision_id):
        return revision_actions.submit(self, request, revision_id)

    def review_view(self, request, revision_id):
        """The side-by-side diff against the published revision, with Publish and Return."""
        return revision_actions.review(self, request, revision_id)
