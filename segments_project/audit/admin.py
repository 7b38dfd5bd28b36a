"""The audit trail in the admin: read-only, scoped to the user's tenants, filterable by
segment (`?segment_id=<id>`, which the segment column links to)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin

from .admin_dates import DrillDownQuerySet
from .models import AuditAction, AuditEvent, DocumentType

# The documents' localized members, shown as "text (language)" rather than JSON.
LOCALIZED_FIELDS = frozenset({"name", "description"})


def shown(value: Any, *, localized: bool = False) -> str:
    """A value as a person reads it: texts without quotes, localized texts as
    "text (language)", lists of plain values comma-separated, nothing as "(none)", the rest
    as compact JSON. Never cut: long values wrap (`.field-diff` in base_site.html)."""
    if value is None or value == "" or value == {} or value == []:
        return "(none)"
    if isinstance(value, str):
        return value
    if localized and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        codes = sorted(value, key=lambda code: (code != "en", code))
        return ", ".join(f"{value[code]} ({code})" for code in codes)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def readable_changes(event: AuditEvent) -> str:
    """`field: old → new` per line for an update, `field: value` for the other actions."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    if event.action == AuditAction.UPDATED:
        rows = (
            (
                name,
                f"{shown(pair[0], localized=name in LOCALIZED_FIELDS)} → "
                f"{shown(pair[1], localized=name in LOCALIZED_FIELDS)}"
                if isinstance(pair, list | tuple) and len(pair) == 2
                else shown(pair),
            )
            for name, pair in sorted(changes.items())
        )
    else:
        rows = (
            (name, shown(value, localized=name in LOCALIZED_FIELDS))
            for name, value in sorted(changes.items())
        )
    return format_html_join(
        "", '<div><strong>{}</strong>: <span class="seg-change-value">{}</span></div>', rows
    )


class CappedCountPaginator(Paginator):
    """Counts at most `COUNT_CAP` rows, so a page of a trail of millions never counts them
    all; the pages beyond the cap are reached by narrowing (segment, date, search)."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.COUNT_CAP].count()


class SegmentFilter(admin.SimpleListFilter):
    """The `?segment_id=` filter. It offers no choices (listing every segment id of the
    trail would scan it): links set it, and the sidebar shows and clears it."""

    title = "segment"
    parameter_name = "segment_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = request.GET.get(self.parameter_name)
        return [(value, value)] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(segment_id=value) if value else queryset


class DocumentFilter(SegmentFilter):
    """The `?document_id=` filter (with `document_type__exact`: one document's history,
    which its History link opens); like the segment filter, set by links only."""

    title = "document"
    parameter_name = "document_id"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(document_id=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "tenant_name",
        "who",
        "action",
        "document_type",
        "document_id",
        "segment",
        "diff",
    )
    list_filter = ("action", "document_type", "actor_kind", SegmentFilter, DocumentFilter)
    # Only shows the search box: `get_search_results` does the (exact) matching.
    search_fields = ("document_id", "segment_id", "actor")
    search_help_text = "The exact id of a document or segment, or the exact actor."
    date_hierarchy = "occurred_at"
    # The trail grows without bound: no COUNT(*) over all of it on every page.
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    fields = (
        "occurred_at",
        "tenant",
        "actor_kind",
        "actor",
        "request_id",
        "action",
        "document_type",
        "document_id",
        "segment_id",
        "full_diff",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return DrillDownQuerySet(model=queryset.model, query=queryset.query, using=queryset.db)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Exact, case-sensitive matches, each arm served by an index (`search_fields` with
        `=` would compare UPPER() of every row)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        document = Q(document_type__in=DocumentType.values, document_id=term)
        return queryset.filter(document | Q(segment_id=term) | Q(actor=term)), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="who", ordering="actor")
    def who(self, event: AuditEvent) -> str:
        if not event.actor:
            return event.get_actor_kind_display()
        return f"{event.get_actor_kind_display()} {event.actor}"

    @admin.display(description="segment", ordering="segment_id")
    def segment(self, event: AuditEvent) -> str:
        if not event.segment_id:
            return ""
        # Segment ids are unique per tenant only.
        query = urlencode({"tenant": event.tenant_id, "segment_id": event.segment_id})
        return format_html('<a href="?{}">{}</a>', query, event.segment_id)

    @admin.display(description="changes")
    def diff(self, event: AuditEvent) -> str:
        return readable_changes(event)

    @admin.display(description="changes")
    def full_diff(self, event: AuditEvent) -> str:
        return readable_changes(event)
