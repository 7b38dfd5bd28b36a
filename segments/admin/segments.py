"""The admin console merchandisers manage segments in.

- Segments: a list with member and item counts computed in the list query, filters by
  status, site and validity, actions (activate, deactivate, duplicate, CSV exports); the
  change page links to the segment's own pages (members, items, import, preview) in
  the `views` package, which stay fast for segments with 100,000 members.
- Customers and legal entities with the segments they belong to.
- Products and categories (registered by the catalog) are re-registered here with the
  segments that give them: the catalog sits below the segments app and cannot know them.

Every write goes through the services the API uses; forms check input with the API's
document functions (`forms`). Every admin is tenant-scoped (`TenantScopedAdminMixin`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from catalog.admin import CategoryAdmin, ProductAdmin
from catalog.models import Category, Product
from segments_project.admin import ServiceWriteAdmin, localized_display
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import (
    TenantScopedAdminMixin,
    require_tenant,
    scoped,
)

from ..documents.segments import segment_document as api_segment_document
from ..models import (
    Customer,
    CustomerLegalEntity,
    ItemType,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
    SegmentStatus,
)
from ..selectors.storefront_match import match_products
from ..services import directory as directory_services
from ..services import items as item_services
from ..services import segments as services
from .forms import (
    CustomerForm,
    LegalEntityForm,
    SegmentForm,
    customer_document,
    legal_entity_document,
    segment_document,
)
from .views import assignments_csv_response, segment_urls
from .views.pages import audit_trail_url

# Item assignments a duplicate copies per service call.
DUPLICATE_BATCH = 1000


def _count_of(model: Any, field: str) -> Coalesce:
    """A correlated COUNT of the model's rows pointing at the outer row: one subquery in the
    list query, no join that would multiply rows."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted), 0)


def _when(moment: Any) -> str:
    return date_format(localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""


def _admin_link(obj: Any, text: str) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text)


# --- segments -----------------------------------------------------------------------------------


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


class CurrentlyFilter(admin.SimpleListFilter):
    """Where the segment stands now: live, not live, expired or scheduled."""

    title = "validity now"
    parameter_name = "currently"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("active", "Active now"),
            ("not-active", "Not active now"),
            ("scheduled", "Scheduled (starts later)"),
            ("expired", "Expired"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "active":
            return queryset.active_at(now)
        if self.value() == "not-active":
            return queryset.exclude(pk__in=Segment.objects.active_at(now).values("pk"))
        if self.value() == "scheduled":
            return queryset.filter(valid_from__gt=now)
        if self.value() == "expired":
            return queryset.filter(valid_to__lt=now)
        return queryset


@admin.register(Segment)
class SegmentAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    form = SegmentForm
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
    list_filter = ["status", SiteFilter, CurrentlyFilter]
    search_fields = ["public_id", "name"]
    search_help_text = "Search by id or by name in any language."
    ordering = ["tenant_id", "public_id"]
    list_per_page = 50
    actions = ["activate", "deactivate", "duplicate", "export_members", "export_items"]
    readonly_fields = ["assignments", "version", "created_at", "modified_at"]

    def get_urls(self) -> list[Any]:
        return [*segment_urls(self), *super().get_urls()]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=_count_of(SegmentCustomerAssignment, "segment"),
                item_count=_count_of(SegmentItemAssignment, "segment"),
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Segment | None = None) -> list[Any]:
        first = ["tenant", "public_id", "name", "description"]
        if obj is not None:
            first = [*first, "assignments", "base_version"]
        sets: list[Any] = [
            (None, {"fields": first}),
            ("Where and when", {"fields": ["status", "site_code", ("valid_from", "valid_to")]}),
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
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Segment | None = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj else []
        return [*fixed, *self.readonly_fields]

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
        return super().render_change_form(request, context, add, change, form_url, obj)

    def autocomplete_label(self, segment: Segment) -> str:
        name = localized_display(segment.name)
        return f"{segment.public_id} — {name}" if name else segment.public_id

    # -- columns --

    @admin.display(description="name")
    def segment_name(self, segment: Segment) -> str:
        return localized_display(segment.name)

    @admin.display(description="site", ordering="site_code")
    def site(self, segment: Segment) -> str:
        return segment.site_code

    @admin.display(description="status", ordering="status")
    def status_badge(self, segment: Segment) -> str:
        now = timezone.now()
        if segment.status != SegmentStatus.ACTIVE:
            return format_html('<span class="seg-badge seg-inactive">{}</span>', "Inactive")
        if segment.valid_from and segment.valid_from > now:
            return format_html('<span class="seg-badge seg-scheduled">{}</span>', "Scheduled")
        if segment.valid_to and segment.valid_to < now:
            return format_html('<span class="seg-badge seg-expired">{}</span>', "Expired")
        return format_html('<span class="seg-badge seg-active">{}</span>', "Active")

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

    @admin.display(description="assignments")
    def assignments(self, segment: Segment) -> str:
        links = [
            (
                reverse("admin:segments_segment_members", args=[segment.pk]),
                f"{segment.member_count:,} members",
            ),
            (
                reverse("admin:segments_segment_items", args=[segment.pk]),
                f"{segment.item_count:,} items",
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
                    document=segment_document(values, version=values.get("base_version")),
                )
            else:
                saved = services.segment_create(
                    tenant=obj.tenant_id, document=segment_document(values)
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
        return [str(segment) for segment in segments], summary, perms, []

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
                    _admin_link(copy, copy.public_id),
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
        document = api_segment_document(segment)
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


# --- the customer directory ---------------------------------------------------------------------


def _memberships(assignments: QuerySet) -> str:
    """A list of segment memberships with links, status and the legal entity they are for."""
    rows = list(assignments.select_related("segment", "customer", "legal_entity")[:200])
    if not rows:
        return "none"
    items = []
    for row in rows:
        segment = row.segment
        state = "active" if segment.status == SegmentStatus.ACTIVE else "inactive"
        extra = f" for {row.legal_entity.public_id}" if row.legal_entity_id else ""
        items.append(
            (
                reverse("admin:segments_segment_change", args=[segment.pk]),
                segment.public_id,
                localized_display(segment.name),
                state,
                f"{row.customer.public_id}{extra}",
            )
        )
    return format_html(
        '<ul class="seg-memberships">{}</ul>',
        format_html_join(
            "",
            '<li><a href="{}">{}</a> {} <span class="seg-muted">({}; {})</span></li>',
            items,
        ),
    )


class DirectoryAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    """What the customer and legal entity admins share."""

    ordering = ["tenant_id", "public_id"]
    list_per_page = 50

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj else []
        return [*fixed, *self.readonly_fields]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        rows = list(objs)
        perms = set() if self.has_delete_permission(request) else {self.opts.model_name}
        return [str(row) for row in rows], {self.opts.verbose_name_plural: len(rows)}, perms, []


@admin.register(Customer)
class CustomerAdmin(DirectoryAdmin):
    form = CustomerForm
    list_display = [
        "public_id",
        "full_name",
        "email",
        "legal_entity_list",
        "segment_count",
        "tenant_name",
    ]
    list_display_links = ["public_id", "full_name"]
    search_fields = ["public_id", "email", "first_name", "last_name"]
    readonly_fields = ["segments", "version", "created_at", "modified_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("legal_entities")
            .annotate(memberships=_count_of(SegmentCustomerAssignment, "customer"))
        )

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> list[Any]:
        first = ["tenant", "public_id", "first_name", "last_name", "email", "legal_entities"]
        sets: list[Any] = [(None, {"fields": first if obj is None else [*first, "base_version"]})]
        if obj is not None:
            sets.append(("Segments", {"fields": ["segments"]}))
        sets.append(
            ("Custom data", {"classes": ["collapse"], "fields": ["mixins", "metadata_mixins"]})
        )
        if obj is not None:
            sets.append(("Metadata", {"fields": ["version", "created_at", "modified_at"]}))
        return sets

    def autocomplete_label(self, customer: Customer) -> str:
        name = f"{customer.first_name} {customer.last_name}".strip()
        parts = [customer.public_id, name, f"<{customer.email}>" if customer.email else ""]
        return " ".join(part for part in parts if part)

    @admin.display(description="name", ordering="last_name")
    def full_name(self, customer: Customer) -> str:
        return f"{customer.first_name} {customer.last_name}".strip()

    @admin.display(description="legal entities")
    def legal_entity_list(self, customer: Customer) -> str:
        return ", ".join(sorted(entity.public_id for entity in customer.legal_entities.all()))

    @admin.display(description="segments", ordering="memberships")
    def segment_count(self, customer: Customer) -> int:
        return customer.memberships

    @admin.display(description="member of")
    def segments(self, customer: Customer) -> str:
        preview = reverse("admin:segments_segment_preview") + f"?customer={customer.pk}"
        return format_html(
            '{}<p><a href="{}" class="button">Preview the storefront as {}</a></p>',
            _memberships(
                SegmentCustomerAssignment.objects.filter(
                    tenant_id=customer.tenant_id, customer=customer
                ).order_by("segment__public_id")
            ),
            preview,
            customer.public_id,
        )

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        require_tenant(request, obj.tenant_id)
        values = form.cleaned_data
        document = customer_document(values, version=values.get("base_version") if change else None)
        try:
            saved, _ = directory_services.customer_upsert(
                tenant=obj.tenant_id, customer_id=obj.public_id, document=document
            )
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None  # the legal entity links are written by customer_upsert

    def delete_model(self, request: HttpRequest, obj: Customer) -> None:
        require_tenant(request, obj.tenant_id)
        directory_services.customer_delete(tenant=obj.tenant_id, customer_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        for tenant, customer_id in queryset.values_list("tenant_id", "public_id"):
            directory_services.customer_delete(tenant=tenant, customer_id=customer_id)


@admin.register(LegalEntity)
class LegalEntityAdmin(DirectoryAdmin):
    form = LegalEntityForm
    list_display = ["public_id", "name", "customer_count", "segment_count", "tenant_name"]
    list_display_links = ["public_id", "name"]
    search_fields = ["public_id", "name"]
    readonly_fields = ["customer_links", "segments", "version", "created_at", "modified_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegalEntity]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                customer_total=_count_of(CustomerLegalEntity, "legal_entity"),
                memberships=_count_of(SegmentCustomerAssignment, "legal_entity"),
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: LegalEntity | None = None) -> list[Any]:
        first = ["tenant", "public_id", "name"]
        sets: list[Any] = [(None, {"fields": first if obj is None else [*first, "base_version"]})]
        if obj is not None:
            sets.append(("Customers and segments", {"fields": ["customer_links", "segments"]}))
        sets.append(
            ("Custom data", {"classes": ["collapse"], "fields": ["mixins", "metadata_mixins"]})
        )
        if obj is not None:
            sets.append(("Metadata", {"fields": ["version", "created_at", "modified_at"]}))
        return sets

    def autocomplete_label(self, legal_entity: LegalEntity) -> str:
        return f"{legal_entity.public_id} — {legal_entity.name}"

    @admin.display(description="customers", ordering="customer_total")
    def customer_count(self, legal_entity: LegalEntity) -> int:
        return legal_entity.customer_total

    @admin.display(description="B2B memberships", ordering="memberships")
    def segment_count(self, legal_entity: LegalEntity) -> int:
        return legal_entity.memberships

    @admin.display(description="customers acting for it")
    def customer_links(self, legal_entity: LegalEntity) -> str:
        customers = legal_entity.customers.order_by("public_id")
        shown = list(customers[:50])
        if not shown:
            return "none"
        more = legal_entity.customer_total - len(shown)
        links = format_html_join(", ", "{}", ((_admin_link(c, c.public_id),) for c in shown))
        return format_html("{}{}", links, f" and {more} more" if more > 0 else "")

    @admin.display(description="segment memberships for it")
    def segments(self, legal_entity: LegalEntity) -> str:
        return _memberships(
            SegmentCustomerAssignment.objects.filter(
                tenant_id=legal_entity.tenant_id, legal_entity=legal_entity
            ).order_by("segment__public_id", "customer__public_id")
        )

    def save_model(self, request: HttpRequest, obj: LegalEntity, form: Any, change: bool) -> None:
        require_tenant(request, obj.tenant_id)
        values = form.cleaned_data
        document = legal_entity_document(
            values, version=values.get("base_version") if change else None
        )
        try:
            saved, _ = directory_services.legal_entity_upsert(
                tenant=obj.tenant_id, legal_entity_id=obj.public_id, document=document
            )
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return
        obj.pk, obj.version = saved.pk, saved.version

    def delete_model(self, request: HttpRequest, obj: LegalEntity) -> None:
        require_tenant(request, obj.tenant_id)
        directory_services.legal_entity_delete(tenant=obj.tenant_id, legal_entity_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LegalEntity]) -> None:
        for tenant, legal_entity_id in queryset.values_list("tenant_id", "public_id"):
            directory_services.legal_entity_delete(tenant=tenant, legal_entity_id=legal_entity_id)


# --- the catalog, with the segments that give it ------------------------------------------------


def _segment_links(segments: QuerySet, note: dict[str, str]) -> str:
    rows = [
        (
            reverse("admin:segments_segment_change", args=[segment.pk]),
            segment.public_id,
            localized_display(segment.name),
            note.get(segment.public_id, ""),
        )
        for segment in segments.order_by("public_id")
    ]
    if not rows:
        return "none"
    return format_html(
        '<ul class="seg-memberships">{}</ul>',
        format_html_join(
            "", '<li><a href="{}">{}</a> {} <span class="seg-muted">{}</span></li>', rows
        ),
    )


class ProductWithSegmentsAdmin(ProductAdmin):
    """The catalog's product admin with the segments that give each product."""

    list_display = [*ProductAdmin.list_display, "segment_count"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        direct = _count_of(SegmentItemAssignment, "product")
        return super().get_queryset(request).annotate(direct_segments=direct)

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "segments"]

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None) -> list[Any]:
        sets = super().get_fieldsets(request, obj)
        if obj is not None:
            sets.insert(2, ("Segments", {"fields": ["segments"]}))
        return sets

    @admin.display(description="segments (direct)", ordering="direct_segments")
    def segment_count(self, product: Product) -> int:
        return product.direct_segments

    @admin.display(description="given by the segments")
    def segments(self, product: Product) -> str:
        """Directly or through an assigned category, as the storefront's matcher decides."""
        tenant_segments = Segment.objects.for_tenant(product.tenant_id)
        matched = match_products(
            tenant=product.tenant_id, product_ids=[product.public_id], segments=tenant_segments
        ).get(product.public_id, [])
        direct = set(
            SegmentItemAssignment.objects.filter(product=product).values_list(
                "segment__public_id", flat=True
            )
        )
        note = {
            segment_id: "(directly)" if segment_id in direct else "(through a category)"
            for segment_id in matched
        }
        return _segment_links(tenant_segments.filter(public_id__in=matched), note)


class CategoryWithSegmentsAdmin(CategoryAdmin):
    """The catalog's category admin with the segments that give each category."""

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "segments"]

    def get_fieldsets(self, request: HttpRequest, obj: Category | None = None) -> list[Any]:
        sets = super().get_fieldsets(request, obj)
        if obj is not None:
            sets.insert(2, ("Segments", {"fields": ["segments"]}))
        return sets

    @admin.display(description="given by the segments")
    def segments(self, category: Category) -> str:
        """Segments holding the category itself or one of its ancestors (whose subtree it is)."""
        lineage = [*category.ancestor_pks, category.pk]
        rows = SegmentItemAssignment.objects.filter(
            tenant_id=category.tenant_id, item_type=ItemType.CATEGORY, category_id__in=lineage
        ).values_list("segment__public_id", "category_id", "category__public_id")
        note: dict[str, str] = {}
        for segment_id, category_pk, category_id in rows:
            if category_pk == category.pk:
                note[segment_id] = "(directly)"
            else:
                note.setdefault(segment_id, f"(through {category_id})")
        segments = Segment.objects.for_tenant(category.tenant_id).filter(public_id__in=note)
        return _segment_links(segments, note)


for _model, _admin_class in (
    (Product, ProductWithSegmentsAdmin),
    (Category, CategoryWithSegmentsAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
