"""Reads of deliveries: a subscription's delivery log, one delivery."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from segments_project.errors import NotFound

from ..models import Delivery, Subscription


def deliveries_of_subscription(*, subscription: Subscription) -> QuerySet[Delivery]:
    """The delivery log, with the events the documents render (one query per page)."""
    return Delivery.objects.filter(subscription=subscription).select_related("event")


def delivery_get(*, subscription: Subscription, delivery_id: str) -> Delivery:
    try:
        public_id = uuid.UUID(delivery_id)
    except ValueError:
        public_id = None
    delivery = (
        Delivery.objects.filter(subscription=subscription, public_id=public_id)
        .select_related("event")
        .first()
        if public_id is not None
        else None
    )
    if delivery is None:
        raise NotFound(f"No delivery with id {delivery_id}.", resource_id=delivery_id)
    return delivery
