"""Subscriptions and events for webhook tests (events are written as the outbox writes them)."""

from __future__ import annotations

from typing import Any

from segments_project.events.models import Event
from segments_project.events.sequencing import events_sequence
from segments_project.tenancy.models import Tenant
from webhooks.models import Subscription
from webhooks.services import subscription_create

from ..conftest import TENANT


def make_subscription(
    url: str, *, tenant: str = TENANT, event_types: list[str] | None = None, **document: Any
) -> tuple[Subscription, str]:
    Tenant.objects.get_or_create(name=tenant)
    return subscription_create(
        tenant=tenant,
        document={"url": url, "eventTypes": event_types or ["*"], **document},
    )


def make_events(
    specs: list[tuple[str, str]], *, tenant: str = TENANT, sequence: bool = True
) -> list[Event]:
    """One event per (type, segment id): member events of segments, numbered per segment."""
    Tenant.objects.get_or_create(name=tenant)
    counters: dict[str, int] = {}
    events = []
    for event_type, segment_id in specs:
        counters[segment_id] = counters.get(segment_id, 0) + 1
        events.append(
            Event(
                tenant_id=tenant,
                type=event_type,
                resource_type="segment",
                resource_id=segment_id,
                sequence_number=counters[segment_id],
                data={"customerId": f"c{len(events)}"},
            )
        )
    created = Event.objects.bulk_create(events)
    if sequence:
        events_sequence()
    return created
