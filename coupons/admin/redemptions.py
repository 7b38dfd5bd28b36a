"""Admin of redemptions: read-only rows (also listed inline on their coupon); deleting one
goes through the redemption service, which frees its place under the coupon's limits."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin

from .. import services
from ..models import Redemption


class RedemptionInline(admin.TabularInline):
    model = Redemption
    fields = ["public_id", "customer_number", "legal_entity_public_id", "order_code", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Redemption)
class RedemptionAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "public_id",
        "coupon",
        "customer_number",
        "legal_entity_public_id",
        "created_at",
    ]
    list_filter = ["tenant"]
    search_fields = ["public_id", "coupon__public_id", "customer_number", "order_code"]
    list_select_related = ["coupon"]
    raw_id_fields = ["coupon"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Redemption) -> None:
        services.redemption_delete(
            tenant=obj.tenant_id, code=obj.coupon.public_id, redemption_id=obj.public_id
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> None:
        for tenant, code, redemption_id in queryset.values_list(
            "tenant_id", "coupon__public_id", "public_id"
        ):
            services.redemption_delete(tenant=tenant, code=code, redemption_id=redemption_id)
