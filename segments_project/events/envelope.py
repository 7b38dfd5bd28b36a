"""The wire form of an event, shared by the changes feed and webhook deliveries."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from .models import Event


def event_envelope(event: Event) -> dict[str, Any]:
    """`{"id", "type", "tenant", "createdAt", "resource": {"type", "id"}, "sequenceNumber",
    "data"}`; `createdAt` in UTC with milliseconds and a `Z`, as the API writes times."""
    created_at = event.created_at.astimezone(UTC).replace(tzinfo=None)
    return {
        "id": str(event.public_id),
        "type": event.type,
        "tenant": event.tenant_id,
        "createdAt": created_at.isoformat(timespec="milliseconds") + "Z",
        "resource": {"type": event.resource_type, "id": event.resource_id},
        "sequenceNumber": event.sequence_number,
        "data": event.data,
    }
