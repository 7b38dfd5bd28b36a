"""The dispatcher: each subscription's new events, matched against its event types, become
Delivery rows, and its cursor moves past them."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from segments_project.events.models import Event
from segments_project.events.sequencing import events_sequence

from ..documents.event_types import TypeMatcher
from ..models import Delivery, Subscription
from .subscriptions import locked_unless_held

DISPATCH_BATCH = 2000


# (event id, type, resource type, resource id, position): what a delivery needs of an event.
EVENT_COLUMNS = ("id", "type", "resource_type", "resource_id", "position")
EventRow = tuple[int, str, str, str, int]


def lane_of(resource_type: str, resource_id: str) -> str:
    return f"{resource_type}/{resource_id}"


def event_delivery(subscription: Subscription, row: EventRow, now: datetime) -> Delivery:
    """A new pending delivery of the event to the subscription (unsaved)."""
    event_id, _, resource_type, resource_id, position = row
    return Delivery(
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.pk,
        public_id=uuid.uuid4(),
        event_id=event_id,
        lane=lane_of(resource_type, resource_id),
        position=position,
        next_attempt_at=now,
        created_at=now,
    )


_EVENTS = Event._meta.db_table
_DELIVERIES = Delivery._meta.db_table
# PostgreSQL: one batch of a subscription's events matched and inserted as deliveries in one
# statement (the patterns as `type = ANY(exact) OR type LIKE ANY(prefixes)`); answers how
# many were inserted, how many events were read, and the last one's position.
_DISPATCH = f"""
WITH picked AS (
    SELECT id, type, resource_type, resource_id, position FROM "{_EVENTS}"
    WHERE tenant_id = %(tenant)s AND position > %(cursor)s ORDER BY position LIMIT %(batch)s
), inserted AS (
    INSERT INTO "{_DELIVERIES}" (tenant_id, subscription_id, public_id, event_id, lane,
        position, status, attempts, next_attempt_at, created_at, last_error, attempt_log,
        request_excerpt, response_excerpt)
    SELECT %(tenant)s, %(subscription)s, gen_random_uuid(), id,
        resource_type || '/' || resource_id, position, 'PENDING', 0, %(now)s, %(now)s, '',
        '[]'::jsonb, '', ''
    FROM picked
    WHERE %(active)s AND (type = ANY(%(exact)s::text[]) OR type LIKE ANY(%(prefixes)s::text[]))
    ORDER BY position
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), count(*), max(position) FROM picked
"""


def _like_patterns(patterns: list[str]) -> tuple[list[str], list[str]]:
    """The exact types and the LIKE prefixes of a subscription's patterns (the patterns hold
    only letters and dots, nothing LIKE would read specially)."""
    exact = [p for p in patterns if p != "*" and not p.endswith(".*")]
    prefixes = ["%" if p == "*" else p[:-1] + "%" for p in patterns if p == "*" or p.endswith(".*")]
    return exact, prefixes


def _dispatch_sql(subscription: Subscription, batch: int) -> tuple[int, int, int | None]:
    exact, prefixes = _like_patterns(list(subscription.event_types))
    with connection.cursor() as cursor:
        cursor.execute(
            _DISPATCH,
            {
                "tenant": subscription.tenant_id,
                "subscription": subscription.pk,
                "cursor": subscription.cursor,
                "batch": batch,
                "now": timezone.now(),
                "active": subscription.active,
                "exact": exact,
                "prefixes": prefixes,
            },
        )
        inserted, read, last = cursor.fetchone()
    return inserted, read, last


def _dispatch_orm(subscription: Subscription, batch: int) -> tuple[int, int, int | None]:
    events = list(
        Event.objects.filter(tenant_id=subscription.tenant_id, position__gt=subscription.cursor)
        .order_by("position")
        .values_list(*EVENT_COLUMNS)[:batch]
    )
    if not events:
        return 0, 0, None
    now = timezone.now()
    matches = TypeMatcher(subscription.event_types)
    deliveries = [
        event_delivery(subscription, row, now)
        for row in events
        if subscription.active and matches(row[1])
    ]
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    return len(deliveries), len(events), events[-1][4]


def _dispatch_one(subscription_pk: int, batch: int) -> tuple[int, bool]:
    """One batch of one subscription's events: (deliveries created, whether more remain).
    Skips a subscription another dispatcher holds (it is doing the same work)."""
    with transaction.atomic():
        subscription = locked_unless_held(subscription_pk)
        if subscription is None:
            return 0, False
        dispatch = _dispatch_sql if connection.vendor == "postgresql" else _dispatch_orm
        inserted, read, last = dispatch(subscription, batch)
        if not read:
            return 0, False
        Subscription.objects.filter(pk=subscription.pk).update(cursor=last)
        return inserted, read == batch


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
