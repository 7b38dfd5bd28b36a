"""Admin of coupons: the list with status, discount and redemption counts computed in the
list query; every write goes through the coupon services (a delete is a soft delete)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from segments_project.admin import ServiceWriteAdmin
from segments_project.admin.history import AuditHistoryAdminMixin
from segments_project.admin.status import Lifecycle, LifecycleFilter, lifecycle, lifecycle_badge
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin

from .. import services
from ..models import Coupon, CouponStatus
from .forms import CouponAdminForm, coupon_document_from_form
from .redemptions import RedemptionInline


def coupon_lifecycle(coupon: Coupon, at: datetime | None = None) -> Lifecycle:
    """The coupon's status in the admin's vocabulary: a deleted coupon is switched off; the
    rest follows the validity and, once every allowed redemption is made, Used up (the
    API's derived status, `CouponQuerySet.with_status`, says the same in its words)."""
    return lifecycle(
        switched_on=not coupon.deleted,
        valid_from=coupon.valid_from,
        valid_to=coupon.valid_until,
        at=at or timezone.now(),
        used_up=coupon.status == CouponStatus.USED,
    )


class CouponStatusFilter(LifecycleFilter):
    """Active, Scheduled, Expired, Used up or Inactive (deleted) now."""

    statuses = (*LifecycleFilter.statuses, Lifecycle.USED_UP)
    switched_on = Q(deleted=False)
    valid_to = "valid_until"
    # `status` is annotated by the list's queryset (`with_status`).
    used_up = Q(status=CouponStatus.USED)


@admin.register(Coupon)
class CouponAdmin(AuditHistoryAdminMixin, TenantScopedAdminMixin, ServiceWriteAdmin):
    form = CouponAdminForm
    audit_document_type = "coupon"
    list_display = [
        "public_id",
        "name",
        "coupon_status",
        "discount",
        "restricted_to",
        "redemptions",
        "deleted",
        "tenant_name",
    ]
    list_display_links = ["public_id", "name"]
    list_filter = [
        CouponStatusFilter,
        "deleted",
        "discount_type",
        "segment_restricted",
        "referral_coupon",
    ]
    search_fields = ["public_id", "name"]
    # By name (`TenantScopedAdminMixin.get_ordering`), the name column showing it.
    sort_by_name = True
    list_per_page = 50
    readonly_fields = ["referral_coupon", "deleted", "version", "latest_changes"]
    inlines = [RedemptionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Coupon]:
        # Status and redemption count for the whole page in the list query itself.
        return super().get_queryset(request).with_status(timezone.now())

    def get_inlines(self, request: HttpRequest, obj: Coupon | None) -> list[Any]:
        # A coupon being added has no redemptions to list.
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request: HttpRequest, obj: Coupon | None = None) -> list[Any]:
        sets: list[Any] = [
            (None, {"fields": ["tenant", "public_id", "name", "description"]}),
            (
                "Discount",
                {
                    "fields": [
                        "discount_type",
                        "discount_percentage",
                        ("discount_amount", "discount_currency"),
                        "discount_calculation_type",
                        ("min_order_amount", "min_order_currency"),
                    ]
                },
            ),
            (
                "Who may redeem",
                {
                    "fields": [
                        "allow_anonymous",
                        "segment_restricted",
                        "segment_ids",
                        "valid_for",
                        "issued_to",
                    ]
                },
            ),
            (
                "Categories",
                {"fields": ["category_restricted", "included_categories", "excluded_categories"]},
            ),
            (
                "Limits and validity",
                {
                    "fields": [
                        ("max_redemptions", "max_redemptions_per_customer"),
                        ("valid_from", "valid_until"),
                    ]
                },
            ),
            ("Custom data", {"classes": ["collapse"], "fields": ["mixins", "metadata_mixins"]}),
        ]
        if obj is not None:
            sets.append(("Metadata", {"fields": ["referral_coupon", "deleted", "version"]}))
        return [*sets, *self.history_fieldset(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Coupon | None = None) -> list[str]:
        if obj is None:
            return [*self.readonly_fields]
        # A referral coupon stays its customer's (the service refuses a new issuedTo).
        owner = ["issued_to"] if obj.referral_coupon else []
        return ["tenant", "public_id", *owner, *self.readonly_fields]

    @admin.display(description="status", ordering="status")
    def coupon_status(self, coupon: Coupon) -> str:
        return lifecycle_badge(coupon_lifecycle(coupon), api_status=coupon.status)

    @admin.display(description="discount")
    def discount(self, coupon: Coupon) -> str:
        if coupon.discount_percentage is not None:
            return f"{coupon.discount_percentage.normalize():f} %"
        if coupon.discount_amount is not None:
            return f"{coupon.discount_amount} {coupon.discount_currency}"
        return coupon.get_discount_type_display()

    @admin.display(description="restricted to")
    def restricted_to(self, coupon: Coupon) -> str:
        parts = []
        if coupon.segment_restricted:
            parts.append("segments " + ", ".join(coupon.segment_ids))
        if coupon.category_restricted:
            parts.append("categories")
        if coupon.valid_for:
            parts.append(f"{len(coupon.valid_for)} customer(s)")
        return "; ".join(parts) or "-"

    @admin.display(description="redemptions", ordering="redemption_count")
    def redemptions(self, coupon: Coupon) -> int:
        return coupon.redemption_count

    def save_model(self, request: HttpRequest, obj: Coupon, form: Any, change: bool) -> None:
        document = coupon_document_from_form(obj)
        try:
            if change:
                saved = services.coupon_update(
                    tenant=obj.tenant_id, code=obj.public_id, document=document
                )
            else:
                saved = services.coupon_create(
                    tenant=obj.tenant_id, document={**document, "code": obj.public_id}
                )
        except ApplicationError as exc:
            # E.g. the code was taken since the form was checked: say why, save nothing.
            self.write_failed(request, exc)
            return
        obj.pk = saved.pk
        obj.version = saved.version

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # A soft delete removes nothing else: the confirmation lists only the coupons.
        coupons = list(objs)
        perms = set() if self.has_delete_permission(request) else {"coupon"}
        return [str(coupon) for coupon in coupons], {"coupons": len(coupons)}, perms, []

    def delete_model(self, request: HttpRequest, obj: Coupon) -> None:
        services.coupon_delete(tenant=obj.tenant_id, code=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        # "Delete selected" soft-deletes through the service, one coupon at a time.
        for tenant, code in queryset.values_list("tenant_id", "public_id"):
            services.coupon_delete(tenant=tenant, code=code)
