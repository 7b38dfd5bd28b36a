"""Sending again: one delivery now (retry), the events of a time range (replay), and a
test message. Each wakes the pump once its transaction commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from segments_project.errors import ValidationFailed
from segments_project.events.models import Event

from ..documents.deliveries import MAX_REPLAY_DELIVERIES
from ..documents.event_types import TypeMatcher
from ..models import Delivery, DeliveryStatus, Subscription
from ..selectors.deliveries import delivery_get
from .dispatch import EVENT_COLUMNS, event_delivery, lane_of
from .subscriptions import locked_subscription
from .triggers import pump_soon

TEST_EVENT_TYPE = "webhook.test"


@transaction.atomic
def delivery_retry(*, tenant: str, subscription_id: str, delivery_id: str) -> Delivery:
    """Attempts the delivery again as soon as its lane lets it: a pending one waits no
    longer for its backoff; a delivered or given-up one is pending again (given up: for
    one more attempt, its retry window being over)."""
    subscription = locked_subscription(tenant, subscription_id)
    delivery = delivery_get(subscription=subscription, delivery_id=delivery_id)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    pump_soon()
    return delivery


@transaction.atomic
def deliveries_replay(
    *, tenant: str, subscription_id: str, start: datetime, end: datetime | None = None
) -> int:
    """New deliveries of the subscription's matching events created in [start, end] that it
    was already given (later ones are on their way anyway), in their order. Returns how
    many; more than MAX_REPLAY_DELIVERIES is a 400 (narrow the range)."""
    subscription = locked_subscription(tenant, subscription_id)
    events = Event.objects.filter(
        tenant_id=tenant, created_at__gte=start, position__lte=subscription.cursor
    )
    if end is not None:
        events = events.filter(created_at__lte=end)
    matches = TypeMatcher(subscription.event_types)
    now = timezone.now()
    rows = [
        event_delivery(subscription, row, now)
        for row in events.order_by("position").values_list(*EVENT_COLUMNS)[
            : MAX_REPLAY_DELIVERIES + 1
        ]
        if matches(row[1])
    ]
    if len(rows) > MAX_REPLAY_DELIVERIES:
        raise ValidationFailed(
            f"The range holds more than {MAX_REPLAY_DELIVERIES} events: replay a shorter one."
        )
    Delivery.objects.bulk_create(rows, batch_size=1000)
    pump_soon()
    return len(rows)


def test_message(subscription: Subscription, *, at: datetime) -> dict:
    return {
        "id": f"msg_test_{uuid.uuid4().hex}",
        "type": TEST_EVENT_TYPE,
        "tenant": subscription.tenant_id,
        "createdAt": at.isoformat().replace("+00:00", "Z"),
        "resource": {"type": "webhook-subscription", "id": subscription.public_id},
        "sequenceNumber": 0,
        "data": {"message": "A test message from the customer segment service."},
    }


@transaction.atomic
def subscription_test_send(*, tenant: str, subscription_id: str) -> Delivery:
    """Queues a signed test message (`webhook.test`) for the subscription, active or not;
    its delivery shows in the log like any other."""
    subscription = locked_subscription(tenant, subscription_id)
    now = timezone.now()
    payload = test_message(subscription, at=now)
    delivery = Delivery.objects.create(
        tenant_id=tenant,
        subscription=subscription,
        public_id=uuid.uuid4(),
        test_payload=payload,
        lane=lane_of("test", payload["id"]),
        position=0,
        next_attempt_at=now,
        created_at=now,
    )
    pump_soon()
    return delivery
