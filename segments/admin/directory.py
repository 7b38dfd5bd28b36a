"""The customer directory in the admin: customers and legal entities with the segments they
belong to. Writes go through the directory services the API uses; the admins are
tenant-scoped (`TenantScopedAdminMixin`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Concat, Trim
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from segments_project.admin import ServiceWriteAdmin, localized_display
from segments_project.tenancy.admin_ranking import NAME_SORT
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin, require_tenant

from ..models import (
    CUSTOMER_SEARCH_FIELDS,
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    SegmentCustomerAssignment,
    SegmentStatus,
)
from ..services import directory as directory_services
from .columns import admin_link, count_of
from .directory_forms import (
    CustomerForm,
    LegalEntityForm,
    customer_document_from_form,
    legal_entity_document_from_form,
)


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

    # By name (`TenantScopedAdminMixin.get_ordering`), the name column showing it.
    sort_by_name = True
    list_per_page = 50

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj else []
        return [*fixed, *self.readonly_fields]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        rows = list(objs)
        perms = set() if self.has_delete_permission(request) else {self.opts.model_name}
        return (
            [self.object_title(row) for row in rows],
            {self.opts.verbose_name_plural: len(rows)},
            perms,
            [],
        )


@admin.register(Customer)
class CustomerAdmin(DirectoryAdmin):
    form = CustomerForm
    list_display = [
        "public_id",
        "full_name",
        "email",
        "company",
        "legal_entity_list",
        "segment_count",
        "tenant_name",
    ]
    list_display_links = ["public_id", "full_name"]
    list_filter = ["active", "on_hold"]
    search_fields = ["public_id", "email", "first_name", "last_name", "company"]
    # One trigram-indexed text (migration 0010): searches stay fast at a million customers.
    search_text_fields = CUSTOMER_SEARCH_FIELDS
    readonly_fields = ["segments", "version", "created_at", "modified_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("legal_entities")
            .annotate(memberships=count_of(SegmentCustomerAssignment, "customer"))
        )

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> list[Any]:
        first = ["tenant", "public_id", "first_name", "last_name", "email", "legal_entities"]
        sets: list[Any] = [(None, {"fields": first if obj is None else [*first, "base_version"]})]
        sets.append(
            (
                "Profile",
                {
                    "fields": [
                        ("active", "on_hold"),
                        ("contact_phone", "company", "company_registration_id"),
                        ("preferred_site", "preferred_language", "preferred_currency"),
                        "addresses",
                    ]
                },
            )
        )
        if obj is not None:
            sets.append(("Segments", {"fields": ["segments"]}))
        sets.append(
            ("Custom data", {"classes": ["collapse"], "fields": ["mixins", "metadata_mixins"]})
        )
        if obj is not None:
            sets.append(("Metadata", {"fields": ["version", "created_at", "modified_at"]}))
        return sets

    autocomplete_match = ("public_id", "email")
    # The list's default order; migration 0010 indexes it (lower-cased, then the id).
    autocomplete_name = Trim(
        Concat("first_name", Value(" "), "last_name", output_field=CharField())
    )
    # "Weber" ranks the Webers after the exact and prefix matches, a page of them read from
    # migration 0015's index (the first name is the name's start: the prefix rank's).
    autocomplete_words = ("last_name",)
    # Two counts of a million rows per page are one too many: "N results" only.
    show_full_result_count = False

    def autocomplete_label(self, customer: Customer) -> str:
        name = f"{customer.first_name} {customer.last_name}".strip()
        email = f"<{customer.email}>" if customer.email else ""
        described = " ".join(part for part in (name, email) if part)
        return f"{customer.public_id} — {described}" if described else customer.public_id

    @admin.display(description="name", ordering=NAME_SORT)
    def full_name(self, customer: Customer) -> str:
        return f"{customer.first_name} {customer.last_name}".strip()

    def object_title(self, customer: Customer) -> str:
        return self.full_name(customer) or customer.public_id

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
        saved = self.upsert_from_form(
            request,
            obj,
            form,
            change,
            document_from_form=customer_document_from_form,
            upsert=lambda document: directory_services.customer_upsert(
                tenant=obj.tenant_id, customer_id=obj.public_id, document=document
            ),
        )
        if saved is not None:
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
                customer_total=count_of(CustomerLegalEntity, "legal_entity"),
                memberships=count_of(SegmentCustomerAssignment, "legal_entity"),
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
        links = format_html_join(", ", "{}", ((admin_link(c, c.public_id),) for c in shown))
        return format_html("{}{}", links, f" and {more} more" if more > 0 else "")

    @admin.display(description="segment memberships for it")
    def segments(self, legal_entity: LegalEntity) -> str:
        return _memberships(
            SegmentCustomerAssignment.objects.filter(
                tenant_id=legal_entity.tenant_id, legal_entity=legal_entity
            ).order_by("segment__public_id", "customer__public_id")
        )

    def save_model(self, request: HttpRequest, obj: LegalEntity, form: Any, change: bool) -> None:
        saved = self.upsert_from_form(
            request,
            obj,
            form,
            change,
            document_from_form=legal_entity_document_from_form,
            upsert=lambda document: directory_services.legal_entity_upsert(
                tenant=obj.tenant_id, legal_entity_id=obj.public_id, document=document
            ),
        )
        if saved is not None:
            obj.pk, obj.version = saved.pk, saved.version

    def delete_model(self, request: HttpRequest, obj: LegalEntity) -> None:
        require_tenant(request, obj.tenant_id)
        directory_services.legal_entity_delete(tenant=obj.tenant_id, legal_entity_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LegalEntity]) -> None:
        for tenant, legal_entity_id in queryset.values_list("tenant_id", "public_id"):
            directory_services.legal_entity_delete(tenant=tenant, legal_entity_id=legal_entity_id)
