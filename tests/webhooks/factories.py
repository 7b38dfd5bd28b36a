"""Subscriptions and events for webhook tests (events are appended as a write appends them)."""

from __future__ import annotations

from typing import Any

from segments_project.events.append import EventDraft, events_append
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
    """One event per (type, segment id), member events of segments, appended as a write
    appends them; numbered (and returned) unless `sequence` is False."""
    Tenant.objects.get_or_create(name=tenant)
    drafts = [
        EventDraft(event_type, "segment", segment_id, {"customerId": f"c{index}"})
        for index, (event_type, segment_id) in enumerate(specs)
    ]
    events_append(tenant=tenant, drafts=drafts)
    if not sequence:
        return []
    events_sequence()
    return list(Event.objects.filter(tenant_id=tenant).order_by("-position")[: len(specs)])[::-1]
