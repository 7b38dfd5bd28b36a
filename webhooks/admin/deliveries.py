"""Admin of the delivery log: read-only, with request and response excerpts; the retry
action goes through `services.delivery_retry`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin, require_tenant

from .. import services
from ..models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "lane",
        "status",
        "attempts",
        "last_status_code",
        "last_latency_ms",
        "next_attempt_at",
    ]
    list_filter = ["status"]
    search_fields = ["subscription__public_id", "lane", "public_id"]
    list_select_related = ["subscription", "event"]
    ordering = ["-id"]
    actions = ["retry"]
    fields = [
        "public_id",
        "subscription",
        "event_type",
        "lane",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_latency_ms",
        "last_error",
        "attempt_log",
        "request_excerpt",
        "response_excerpt",
    ]
    readonly_fields = fields

    @admin.display(description="event type")
    def event_type(self, delivery: Delivery) -> str:
        if delivery.event is not None:
            return delivery.event.type
        return (delivery.test_payload or {}).get("type", "")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(
            "webhooks.change_subscription"
        )

    @admin.action(description="Retry the selected deliveries", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset.select_related("subscription"))
        for delivery in deliveries:
            require_tenant(request, delivery.tenant_id)
            services.delivery_retry(
                tenant=delivery.tenant_id,
                subscription_id=delivery.subscription.public_id,
                delivery_id=str(delivery.public_id),
            )
        self.message_user(request, f"{len(deliveries)} deliveries will be tried again.")
