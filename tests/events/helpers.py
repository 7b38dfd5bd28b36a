"""What the outbox holds, for the events tests."""

from __future__ import annotations

from typing import Any

from segments_project.events.models import Event
from segments_project.events.sequencing import events_sequence


def outbox(tenant: str | None = None, prefix: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    """(type, resource id, data) of the events, in order, once the sequencer made them of
    the committed outbox rows."""
    events_sequence()
    events = Event.objects.filter(type__startswith=prefix).order_by("position")
    if tenant is not None:
        events = events.filter(tenant_id=tenant)
    return [(event.type, event.resource_id, event.data) for event in events]


def clear_events() -> None:
    """No events so far: every committed outbox row made into events, then deleted."""
    events_sequence()
    Event.objects.all().delete()


def member(customer_id: str, legal_entity_id: str | None = None, kind: str = "MANUAL") -> dict:
    return {"customerId": customer_id, "legalEntityId": legal_entity_id, "assignmentType": kind}


def batched(source: str, kind: str, *members: tuple[str, str | None]) -> dict:
    """The data of a batched member event (imports, rule evaluations)."""
    return {
        "source": source,
        "assignmentType": kind,
        "members": [{"customerId": c, "legalEntityId": le} for c, le in members],
    }
