"""Reads of subscriptions, tenant-scoped: another tenant's id is as unknown as a missing one."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from segments_project.errors import NotFound

from ..models import DeliveryStatus, Subscription


def subscription_not_found(subscription_id: str) -> NotFound:
    return NotFound(
        f"No webhook subscription with id {subscription_id}.", resource_id=subscription_id
    )


def subscriptions_of_tenant(*, tenant: str) -> QuerySet[Subscription]:
    return Subscription.objects.filter(tenant_id=tenant)


def subscriptions_with_health(*, tenant: str | None = None) -> QuerySet[Subscription]:
    """Subscriptions with `backlog`: their pending deliveries (one grouped query)."""
    queryset = (
        Subscription.objects.all() if tenant is None else subscriptions_of_tenant(tenant=tenant)
    )
    # Explicitly ordered: a grouped query does not take the model's default ordering.
    return queryset.annotate(
        backlog=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING))
    ).order_by("tenant_id", "public_id")


def subscription_get(*, tenant: str, subscription_id: str) -> Subscription:
    subscription = Subscription.objects.filter(tenant_id=tenant, public_id=subscription_id).first()
    if subscription is None:
        raise subscription_not_found(subscription_id)
    return subscription
