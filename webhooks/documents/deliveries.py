"""The API's view of deliveries, and the bodies of the replay and retry operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segments_project.api.documents import invalid, parse_iso_datetime
from segments_project.api.query import FieldKind, FieldSpec

from ..models import Delivery, DeliveryStatus
from .subscriptions import iso

DELIVERY_QUERY_FIELDS: dict[str, FieldSpec] = {
    "status": FieldSpec("status", FieldKind.ENUM, choices=tuple(DeliveryStatus.values)),
    "attempts": FieldSpec("attempts", FieldKind.INTEGER),
    "lastStatusCode": FieldSpec("last_status_code", FieldKind.INTEGER),
    "createdAt": FieldSpec("created_at", FieldKind.DATETIME),
    "nextAttemptAt": FieldSpec("next_attempt_at", FieldKind.DATETIME),
    "eventType": FieldSpec("event__type", FieldKind.STRING),
}
# Replays reach back at most this far (events older than the feed's retention are gone).
MAX_REPLAY_DELIVERIES = 100_000


def delivery_document(delivery: Delivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "id": str(delivery.public_id),
        "eventId": str(event.public_id) if event is not None else delivery.test_payload["id"],
        "eventType": event.type if event is not None else delivery.test_payload["type"],
        "resource": (
            {"type": event.resource_type, "id": event.resource_id} if event is not None else None
        ),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "lastStatusCode": delivery.last_status_code,
        "lastLatencyMs": delivery.last_latency_ms,
        "lastError": delivery.last_error or None,
        "nextAttemptAt": (
            iso(delivery.next_attempt_at) if delivery.status == DeliveryStatus.PENDING else None
        ),
        "createdAt": iso(delivery.created_at),
        "lastAttemptAt": iso(delivery.last_attempt_at),
        "deliveredAt": iso(delivery.delivered_at),
        "attemptLog": list(delivery.attempt_log),
    }


def _moment(document: dict[str, Any], name: str) -> datetime | None:
    value = document.get(name)
    if value is None:
        return None
    moment = parse_iso_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise invalid(name, f"{name} must be an ISO 8601 date-time.")
    return moment


def replay_range(document: Any) -> tuple[datetime, datetime | None]:
    """`{"from": ..., "to": ...}` (to optional): the creation times of the events to send
    again."""
    if not isinstance(document, dict):
        raise invalid("body", "A replay body is an object with from and optionally to.")
    start = _moment(document, "from")
    if start is None:
        raise invalid("from", "from is required.", type="required")
    end = _moment(document, "to")
    if end is not None and end < start:
        raise invalid("to", "to must not be before from.")
    return start, end
