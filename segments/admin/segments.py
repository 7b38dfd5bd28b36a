"""The segment admin merchandisers manage segments in: a list with member and item counts
computed in the list query, filters by status, site and validity, actions (activate,
deactivate, duplicate, CSV exports); the change page links to the segment's own pages
(members, items, import, preview) in the `views` package, which stay fast for segments
with 100,000 members.

Every write goes through the services the API uses; the form checks input with the API's
document functions (`forms`). The admin is tenant-scoped (`TenantScopedAdminMixin`).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html, format_html_join

from segments_project.admin import ServiceWriteAdmin, localized_display
from segments_project.admin.dates import admin_datetime
from segments_project.admin.history import AuditHistoryAdminMixin
from segments_project.admin.status import Lifecycle, LifecycleFilter, lifecycle, lifecycle_badge
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_ranking import NAME_SORT
from segments_project.tenancy.admin_scoping import (
    TenantScopedAdminMixin,
    require_tenant,
    scoped,
)

from ..documents.segments import segment_document
from ..hooks import SEGMENT_PAGE_PANELS
from ..models import (
    SEGMENT_SEARCH_FIELDS,
    EvaluationStatus,
    ItemType,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
    SegmentStatus,
)
from ..selectors.evaluations import evaluation_latest
from ..services import items as item_services
from ..services import segments as services
from .columns import admin_link, count_of
from .forms import SegmentForm, segment_document_from_form
from .views import assignments_csv_response, segment_urls
from .views.pages import audit_trail_url, capped_count, count_text

# Item assignments a duplicate copies per service call.
DUPLICATE_BATCH = 1000


_when = admin_datetime


def segment_lifecycle(segment: Segment, at: datetime | None = None) -> Lifecycle:
    """The segment's status in the admin's vocabulary (`segments_project.admin.status`)."""
    return lifecycle(
        switched_on=segment.status == SegmentStatus.ACTIVE,
        valid_from=segment.valid_from,
        valid_to=segment.valid_to,
        at=at or timezone.now(),
    )


class SiteFilter(admin.SimpleListFilter):
    title = "site"
    parameter_name = "site"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        sites = (
            scoped(Segment.objects.all(), request)
            .order_by("site_code")
            .values_list("site_code", flat=True)
            .distinct()
        )
        return [(site, site) for site in sites]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(site_code=self.value()) if self.value() else queryset


class SegmentStatusFilter(LifecycleFilter):
    """Active, Scheduled, Expired or Inactive now, as the status column says."""

    switched_on = Q(status=SegmentStatus.ACTIVE)


@admin.register(Segment)
class SegmentAdmin(AuditHistoryAdminMixin, TenantScopedAdminMixin, ServiceWriteAdmin):
    form = SegmentForm
    audit_document_type = "segment"
    list_display = [
        "public_id",
        "segment_name",
        "site",
        "status_badge",
        "validity",
        "member_count",
        "item_count",
        "tenant_name",
    ]
    list_display_links = ["public_id", "segment_name"]
    list_filter = [SegmentStatusFilter, SiteFilter]
    search_fields = ["public_id", "name"]
    # One trigram-indexed text (migration 0014), as customers, products and categories.
    search_text_fields = SEGMENT_SEARCH_FIELDS
    search_help_text = "Search by id or by name in any language."
    # By name (`TenantScopedAdminMixin.get_ordering`), the name column showing it.
    sort_by_name = True
    list_per_page = 50
    actions = ["activate", "deactivate", "duplicate", "export_members", "export_items"]
    readonly_fields = [
        "assignments",
        "status_now",
        "version",
        "created_at",
        "modified_at",
        "latest_changes",
    ]

    def get_urls(self) -> list[Any]:
        return [*segment_urls(self), *super().get_urls()]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        segments = super().get_queryset(request)
        match = request.resolver_match
        if match is None or match.url_name != "segments_segment_changelist":
            # The segment's own pages count its members once, capped (`assignments`);
            # an exact correlated count of 350,000 members took 2 s at scale L.
            return segments
        return segments.annotate(
            member_count=count_of(SegmentCustomerAssignment, "segment"),
            item_count=count_of(SegmentItemAssignment, "segment"),
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        """The segment, with `member_total` and `item_total`: its assignments counted up to
        `COUNT_CAP` ("more than 10,000"), once, and only when a page shows them."""
        segment = super().get_object(request, object_id, from_field)
        if segment is not None:
            for name, model in (
                ("member_total", SegmentCustomerAssignment),
                ("item_total", SegmentItemAssignment),
            ):
                rows = model.objects.filter(tenant_id=segment.tenant_id, segment=segment)
                setattr(segment, name, SimpleLazyObject(partial(_counted, rows)))
        return segment

    def get_fieldsets(self, request: HttpRequest, obj: Segment | None = None) -> list[Any]:
        first = ["tenant", "public_id", "name", "description"]
        if obj is not None:
            first = [*first, "assignments", "base_version"]
        sets: list[Any] = [
            (None, {"fields": first}),
            (
                "Where and when",
                {
                    "fields": [
                        ("status", "status_now") if obj is not None else "status",
                        "site_code",
                        ("valid_from", "valid_to"),
                    ]
                },
            ),
            (
                "Rule",
                {
                    "classes": ["seg-criteria-fieldset"],
                    "fields": [
                        "criteria_q",
                        "criteria_legal_entities",
                        *self._evaluation_fields(request, obj),
                    ],
                    "description": "Optional: the customers this rule selects, counted live "
                    "below as you type. Members added by hand stay members.",
                },
            ),
            (
                "Custom data",
                {
                    "classes": ["collapse"],
                    "fields": ["mixins", "metadata_mixins"],
                    "description": "Free JSON attributes API clients attach to the segment.",
                },
            ),
        ]
        if obj is not None:
            sets.append(("Metadata", {"fields": ["version", "created_at", "modified_at"]}))
        return [*sets, *self.history_fieldset(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Segment | None = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj else []
        return [*fixed, *self.readonly_fields, *self._evaluation_fields(request, obj)]

    def _evaluation_fields(self, request: HttpRequest, obj: Segment | None) -> list[str]:
        """The latest evaluation of a stored segment's rule, with the "Re-evaluate" button
        for users who may change the segment."""
        if obj is None:
            return []
        if self.has_change_permission(request, obj):
            return ["evaluation_with_button"]
        return ["evaluation"]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Segment | None = None,
    ) -> HttpResponse:
        context["audit_url"] = audit_trail_url(request, obj) if obj is not None else None
        # What the apps above show on the page (the coupons restricted to the segment).
        context["segment_panels"] = (
            [panel(obj) for panel in SEGMENT_PAGE_PANELS] if obj is not None else []
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def autocomplete_label(self, segment: Segment) -> str:
        name = localized_display(segment.name)
        return f"{segment.public_id} — {name}" if name else segment.public_id

    # -- columns --

    @admin.display(description="name", ordering=NAME_SORT)
    def segment_name(self, segment: Segment) -> str:
        return localized_display(segment.name)

    @admin.display(description="site", ordering="site_code")
    def site(self, segment: Segment) -> str:
        return segment.site_code

    @admin.display(description="status", ordering="status")
    def status_badge(self, segment: Segment) -> str:
        return lifecycle_badge(segment_lifecycle(segment), api_status=segment.status)

    @admin.display(description="Status now")
    def status_now(self, segment: Segment) -> str:
        return self.status_badge(segment)

    @admin.display(description="validity", ordering="valid_from")
    def validity(self, segment: Segment) -> str:
        if not segment.valid_from and not segment.valid_to:
            return "always"
        if not segment.valid_to:
            return f"from {_when(segment.valid_from)}"
        if not segment.valid_from:
            return f"until {_when(segment.valid_to)}"
        return f"{_when(segment.valid_from)} to {_when(segment.valid_to)}"

    @admin.display(description="members", ordering="member_count")
    def member_count(self, segment: Segment) -> str:
        url = reverse("admin:segments_segment_members", args=[segment.pk])
        return format_html('<a href="{}">{}</a>', url, f"{segment.member_count:,}")

    @admin.display(description="items", ordering="item_count")
    def item_count(self, segment: Segment) -> str:
        url = reverse("admin:segments_segment_items", args=[segment.pk])
        return format_html('<a href="{}">{}</a>', url, f"{segment.item_count:,}")

    # Shown for users who may only view segments (editors get the form's text fields).
    @admin.display(description="Customers matching")
    def criteria_q(self, segment: Segment) -> str:
        return (segment.criteria or {}).get("q", "")

    @admin.display(description="Customers of legal entities matching")
    def criteria_legal_entities(self, segment: Segment) -> str:
        return (segment.criteria or {}).get("legalEntities", "")

    @admin.display(description="Evaluation")
    def evaluation(self, segment: Segment) -> str:
        latest = evaluation_latest(tenant=segment.tenant_id, segment=segment)
        if latest is None:
            return "Never evaluated."
        counts = (
            f": {latest.added} added, {latest.removed} removed, {latest.members:,} members"
            if latest.status == EvaluationStatus.DONE
            else ""
        )
        when = latest.finished_at or latest.started_at or latest.requested_at
        error = f" ({latest.error})" if latest.error else ""
        trigger = latest.get_trigger_display().lower()
        return f"{latest.status} ({trigger}, {_when(when)}){counts}{error}"

    @admin.display(description="Evaluation")
    def evaluation_with_button(self, segment: Segment) -> str:
        if not segment.criteria:
            return self.evaluation(segment)
        # The change form's own CSRF token goes with it; the view reads nothing else.
        return format_html(
            '{} <button type="submit" class="button" formaction="{}" formmethod="post" '
            "formnovalidate>Re-evaluate</button>",
            self.evaluation(segment),
            reverse("admin:segments_segment_evaluate", args=[segment.pk]),
        )

    @admin.display(description="assignments")
    def assignments(self, segment: Segment) -> str:
        links = [
            (
                reverse("admin:segments_segment_members", args=[segment.pk]),
                f"{segment.member_total} members",
            ),
            (
                reverse("admin:segments_segment_items", args=[segment.pk]),
                f"{segment.item_total} items",
            ),
            (
                reverse("admin:segments_segment_preview") + f"?segment={segment.pk}",
                "Preview as a customer",
            ),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    # -- writes --

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        require_tenant(request, obj.tenant_id)
        values = dict(form.cleaned_data)
        try:
            if change:
                values.pop("public_id", None)
                saved, _ = services.segment_upsert(
                    tenant=obj.tenant_id,
                    segment_id=obj.public_id,
                    document=segment_document_from_form(values, version=values.get("base_version")),
                )
            else:
                saved = services.segment_create(
                    tenant=obj.tenant_id, document=segment_document_from_form(values)
                )
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return
        obj.pk, obj.public_id, obj.version = saved.pk, saved.public_id, saved.version

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # Listing 100,000 members on the confirmation page would never finish: count them.
        segments = list(objs)
        summary = {
            "segments": len(segments),
            "member assignments": SegmentCustomerAssignment.objects.filter(
                segment__in=segments
            ).count(),
            "item assignments": SegmentItemAssignment.objects.filter(segment__in=segments).count(),
        }
        perms = set() if self.has_delete_permission(request) else {"segment"}
        return [self.object_title(segment) for segment in segments], summary, perms, []

    def delete_model(self, request: HttpRequest, obj: Segment) -> None:
        require_tenant(request, obj.tenant_id)
        services.segment_delete(tenant=obj.tenant_id, segment_id=obj.public_id, force=True)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Segment]) -> None:
        for tenant, segment_id in queryset.values_list("tenant_id", "public_id"):
            services.segment_delete(tenant=tenant, segment_id=segment_id, force=True)

    # -- actions --

    def _set_status(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        changed, failed = [], 0
        for segment in queryset:
            try:
                saved = services.segment_patch(
                    tenant=segment.tenant_id, segment_id=segment.public_id, patch={"status": status}
                )
            except ApplicationError as exc:
                failed += 1
                self.message_user(request, f"{segment.public_id}: {exc.message}", messages.ERROR)
                continue
            if saved.version != segment.version:
                changed.append(segment.public_id)
                self.log_change(request, saved, f"Set the status to {status}.")
        unchanged = len(queryset) - len(changed) - failed
        verb = "activated" if status == SegmentStatus.ACTIVE else "deactivated"
        text = f"{len(changed)} segment(s) {verb}"
        if unchanged:
            text += f"; {unchanged} already were"
        self.message_user(request, f"{text}.", messages.SUCCESS if changed else messages.INFO)

    @admin.action(description="Activate the selected segments", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, SegmentStatus.ACTIVE)

    @admin.action(description="Deactivate the selected segments", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, SegmentStatus.INACTIVE)

    @admin.action(
        description="Duplicate the selected segments with their items (copies are inactive)",
        permissions=["add"],
    )
    def duplicate(self, request: HttpRequest, queryset: QuerySet) -> None:
        for segment in queryset:
            try:
                copy, items = self._duplicate(segment)
            except ApplicationError as exc:
                self.message_user(request, f"{segment.public_id}: {exc.message}", messages.ERROR)
                continue
            self.log_addition(
                request, copy, f"Duplicated from {segment.public_id} with {items} item(s)."
            )
            self.message_user(
                request,
                format_html(
                    "Created {} as a copy of {} with {} item(s).",
                    admin_link(copy, copy.public_id),
                    segment.public_id,
                    items,
                ),
                messages.SUCCESS,
            )

    @staticmethod
    def _free_copy_id(segment: Segment) -> str:
        base = f"{segment.public_id[:120]}-copy"
        taken = set(
            Segment.objects.filter(
                tenant_id=segment.tenant_id, public_id__startswith=base
            ).values_list("public_id", flat=True)
        )
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    @transaction.atomic
    def _duplicate(self, segment: Segment) -> tuple[Segment, int]:
        """An inactive copy of the segment (names marked "copy") with the same items."""
        document = segment_document(segment)
        document.pop("metadata", None)
        document["metadata"] = {"mixins": segment.metadata_mixins}
        document["id"] = self._free_copy_id(segment)
        document["status"] = SegmentStatus.INACTIVE
        document["name"] = {code: f"{text} (copy)" for code, text in segment.name.items()}
        copy = services.segment_create(tenant=segment.tenant_id, document=document)
        copied = 0
        for item_type, relation in ((ItemType.PRODUCT, "product"), (ItemType.CATEGORY, "category")):
            rows = (
                SegmentItemAssignment.objects.filter(segment=segment, item_type=item_type)
                .order_by("pk")
                .values_list(f"{relation}__public_id", "mixins", "metadata_mixins")
            )
            batch: list[dict[str, Any]] = []
            for item_id, mixins, schemas in rows.iterator(chunk_size=DUPLICATE_BATCH):
                batch.append({"id": item_id, "mixins": mixins, "metadata": {"mixins": schemas}})
                if len(batch) == DUPLICATE_BATCH:
                    copied += self._copy_items(copy, item_type, batch)
                    batch = []
            if batch:
                copied += self._copy_items(copy, item_type, batch)
        return copy, copied

    @staticmethod
    def _copy_items(copy: Segment, item_type: str, documents: list[dict[str, Any]]) -> int:
        outcomes = item_services.item_assignments_upsert_bulk(
            tenant=copy.tenant_id,
            segment_id=copy.public_id,
            item_type=item_type,
            documents=documents,
        )
        failed = [outcome for outcome in outcomes if outcome.error is not None]
        if failed:
            raise failed[0].error
        return len(outcomes)

    @admin.action(
        description="Export the members of the selected segments (CSV)", permissions=["change"]
    )
    def export_members(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return assignments_csv_response("segment-customers", list(queryset))

    @admin.action(
        description="Export the items of the selected segments (CSV)", permissions=["change"]
    )
    def export_items(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return assignments_csv_response("segment-items", list(queryset))


def _counted(rows: QuerySet) -> str:
    return count_text(capped_count(rows))
