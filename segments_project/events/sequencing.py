"""Makes numbered events of the committed outbox rows: `events_sequence()`.

A writer cannot number its events: a transaction that inserts first may commit last, and
a reader at "position > cursor" would then skip it. So a write inserts one `OutboxEntry`
row, and here, afterwards, in one serialized transaction, the committed rows (the only
ones visible) are expanded into their events, in `id` order, which get the next
`position`s, the next `sequence_number`s of their resources and their public ids; then
the rows are deleted. A row that commits later is expanded by a later call, above every
position given before. Of one resource, rows are in commit order by `id` (the writers'
resource locks, see `append`), so its sequence numbers increase in commit order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction

from segments_project.db.binding import server_binding_cursor

from .append import DRAFTS, EventDraft, drafts_expanded
from .models import Event, EventSequencer, EventStream, OutboxEntry

# pg_advisory_xact_lock key of the sequencer ("events" in ASCII).
_LOCK_KEY = 0x6576656E7473

# How many outbox rows one transaction of the sequencer expands at most (a backlog after
# an outage goes in several: memory stays bounded).
CHUNK = 500

Expander = Callable[[str, str], list[EventDraft]]

# An outbox row's kind -> its events (payload, extra). Apps above this one register theirs
# (the audit trail: `audit.apps`).
EXPANDERS: dict[str, Expander] = {DRAFTS: drafts_expanded}


def register_expander(kind: str, expander: Expander) -> None:
    EXPANDERS[kind] = expander


def events_sequence() -> int:
    """Turns every committed outbox row into numbered events; returns how many events.

    Safe to call from many processes at once: PostgreSQL callers take turns on a
    transaction-level advisory lock (SQLite has a single writer)."""
    database = router.db_for_write(Event)
    total = 0
    while True:
        numbered, more = _sequence_chunk(database)
        total += numbered
        if not more:
            return total


def _sequence_chunk(database: str) -> tuple[int, bool]:
    connection = connections[database]
    with transaction.atomic(using=database):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A statement of its own: the reads below take their snapshot after the
                # previous holder committed, so they see its positions and deletions.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        entries = list(OutboxEntry.objects.using(database).order_by("id")[:CHUNK])
        if not entries:
            return 0, False
        events = _events(entries)
        if events:
            first_position = _number(database, events)
            _insert(database, events, first_position)
        OutboxEntry.objects.using(database).filter(id__in=[entry.id for entry in entries]).delete()
        return len(events), len(entries) == CHUNK


@dataclass
class _Numbered:
    """An event of an outbox row, before and after `_number` gives its sequence number."""

    tenant_id: str
    draft: EventDraft
    created_at: datetime
    sequence_number: int = 0


def _events(entries: list[OutboxEntry]) -> list[_Numbered]:
    return [
        _Numbered(entry.tenant_id, draft, entry.created_at)
        for entry in entries
        for draft in EXPANDERS[entry.kind](entry.payload, entry.extra)
    ]


def _number(database: str, events: list[_Numbered]) -> int:
    """Gives the events, in order, the next sequence numbers of their resources, moves the
    counters past them, and returns the first of the positions they take (in order)."""
    last: dict[tuple[str, str, str], int] = {}
    for tenant, kinds in _resources(events).items():
        streams = (
            EventStream.objects.using(database)
            .filter(tenant_id=tenant, resource_id__in={resource_id for _, resource_id in kinds})
            .values_list("resource_type", "resource_id", "last_sequence_number")
        )
        for resource_type, resource_id, number in streams:
            if (resource_type, resource_id) in kinds:
                last[(tenant, resource_type, resource_id)] = number
    for event in events:
        key = (event.tenant_id, event.draft.resource_type, event.draft.resource_id)
        event.sequence_number = last[key] = last.get(key, 0) + 1
    _streams_save(database, sorted(last.items()))
    counter, _ = EventSequencer.objects.using(database).get_or_create(id=1)
    first = counter.last_position + 1
    counter.last_position += len(events)
    counter.save(using=database, update_fields=["last_position"])
    return first


_STREAM = EventStream._meta.db_table
# PostgreSQL: the counters moved in one statement (sorted, so that two sequencers of
# different databases' callers could never lock them in opposite orders).
_STREAMS_SAVE = f"""
INSERT INTO "{_STREAM}" (tenant_id, resource_type, resource_id, last_sequence_number)
SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::bigint[])
ON CONFLICT (tenant_id, resource_type, resource_id)
DO UPDATE SET last_sequence_number = EXCLUDED.last_sequence_number
"""


def _streams_save(database: str, last: list[tuple[tuple[str, str, str], int]]) -> None:
    connection = connections[database]
    if connection.vendor != "postgresql":
        EventStream.objects.using(database).bulk_create(
            [
                EventStream(
                    tenant_id=t, resource_type=kind, resource_id=rid, last_sequence_number=n
                )
                for (t, kind, rid), n in last
            ],
            batch_size=500,
            update_conflicts=True,
            unique_fields=["tenant", "resource_type", "resource_id"],
            update_fields=["last_sequence_number"],
        )
        return
    columns: list[list[Any]] = [[], [], [], []]
    for (tenant, kind, resource_id), number in last:
        for column, value in zip(columns, (tenant, kind, resource_id, number), strict=True):
            column.append(value)
    with server_binding_cursor(connection) as cursor:
        cursor.execute(_STREAMS_SAVE, columns)


_EVENT = Event._meta.db_table
# PostgreSQL: a chunk's events in one statement, their columns as arrays (the ORM's
# bulk_create built a model and compiled nine placeholders per event: 2.7 of the 4.2 s that
# numbering 10,000 events took under load, bench/webhooks.py). `id` follows `position`
# (the rows are inserted in their order).
_INSERT = f"""
INSERT INTO "{_EVENT}" (public_id, tenant_id, type, resource_type, resource_id,
    sequence_number, data, created_at, position)
SELECT gen_random_uuid(), e.tenant_id, e.type, e.resource_type, e.resource_id,
    e.sequence_number, e.data::jsonb, e.created_at, %s + e.n - 1
FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::bigint[], %b::text[],
            %b::timestamptz[]) WITH ORDINALITY
    AS e(tenant_id, type, resource_type, resource_id, sequence_number, data, created_at, n)
ORDER BY e.n
"""


def _insert(database: str, events: list[_Numbered], first_position: int) -> None:
    connection = connections[database]
    if connection.vendor != "postgresql":
        Event.objects.using(database).bulk_create(
            [
                Event(
                    public_id=uuid.uuid4(),
                    tenant_id=event.tenant_id,
                    type=event.draft.type,
                    resource_type=event.draft.resource_type,
                    resource_id=event.draft.resource_id,
                    sequence_number=event.sequence_number,
                    data=event.draft.data,
                    created_at=event.created_at,
                    position=position,
                )
                for position, event in enumerate(events, start=first_position)
            ],
            batch_size=500,
        )
        return
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    columns = [
        [event.tenant_id for event in events],
        [event.draft.type for event in events],
        [event.draft.resource_type for event in events],
        [event.draft.resource_id for event in events],
        [event.sequence_number for event in events],
        [dumps(event.draft.data) for event in events],
        [event.created_at for event in events],
    ]
    with server_binding_cursor(connection) as cursor:
        cursor.execute(_INSERT, [first_position, *columns])


def _resources(events: list[_Numbered]) -> dict[str, set[tuple[str, str]]]:
    by_tenant: dict[str, set[tuple[str, str]]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, set()).add(
            (event.draft.resource_type, event.draft.resource_id)
        )
    return by_tenant
