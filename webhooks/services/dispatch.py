"""The dispatcher: each subscription's new events, matched against its event types, become
Delivery rows, and its cursor moves past them."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from segments_project.events.models import Event
from segments_project.events.sequencing import events_sequence

from ..documents.event_types import TypeMatcher
from ..models import Delivery, Subscription

DISPATCH_BATCH = 2000


def lane_of(resource_type: str, resource_id: str) -> str:
    return f"{resource_type}/{resource_id}"


def _dispatch_one(subscription_pk: int, batch: int) -> tuple[int, bool]:
    """One batch of one subscription's events: (deliveries created, whether more remain).
    Skips a subscription another dispatcher holds (it is doing the same work)."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(skip_locked=True)
            .filter(pk=subscription_pk)
            .first()
        )
        if subscription is None:
            return 0, False
        events = list(
            Event.objects.filter(tenant_id=subscription.tenant_id, position__gt=subscription.cursor)
            .order_by("position")
            .values_list("id", "type", "resource_type", "resource_id", "position")[:batch]
        )
        if not events:
            return 0, False
        now = timezone.now()
        matches = TypeMatcher(subscription.event_types)
        deliveries = [
            Delivery(
                tenant_id=subscription.tenant_id,
                subscription_id=subscription.pk,
                public_id=uuid.uuid4(),
                event_id=event_id,
                lane=lane_of(resource_type, resource_id),
                position=position,
                next_attempt_at=now,
                created_at=now,
            )
            for event_id, event_type, resource_type, resource_id, position in events
            if subscription.active and matches(event_type)
        ]
        Delivery.objects.bulk_create(deliveries, batch_size=1000)
        Subscription.objects.filter(pk=subscription.pk).update(cursor=events[-1][4])
        return len(deliveries), len(events) == batch


def deliveries_dispatch(*, batch: int = DISPATCH_BATCH) -> int:
    """Numbers the committed events (`events_sequence`), then gives every subscription
    behind them its deliveries. Returns how many deliveries were created.

    An inactive subscription's cursor moves on without deliveries: it is not sent the
    events of the time it was off. Safe to run in several processes at once.
    """
    events_sequence()
    behind = Subscription.objects.filter(
        Exists(
            Event.objects.filter(tenant_id=OuterRef("tenant_id"), position__gt=OuterRef("cursor"))
        )
    ).values_list("pk", flat=True)
    created = 0
    for subscription_pk in list(behind):
        more = True
        while more:
            count, more = _dispatch_one(subscription_pk, batch)
            created += count
    return created
