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

import uuid
from collections.abc import Callable

from django.db import connections, router, transaction

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
            _number(database, events)
            Event.objects.using(database).bulk_create(events, batch_size=500)
        OutboxEntry.objects.using(database).filter(id__in=[entry.id for entry in entries]).delete()
        return len(events), len(entries) == CHUNK


def _events(entries: list[OutboxEntry]) -> list[Event]:
    events = []
    for entry in entries:
        for draft in EXPANDERS[entry.kind](entry.payload, entry.extra):
            events.append(
                Event(
                    public_id=uuid.uuid4(),
                    tenant_id=entry.tenant_id,
                    type=draft.type,
                    resource_type=draft.resource_type,
                    resource_id=draft.resource_id,
                    sequence_number=0,
                    data=draft.data,
                    created_at=entry.created_at,
                )
            )
    return events


def _number(database: str, events: list[Event]) -> None:
    """Gives the events, in order, the next positions and the next sequence numbers of
    their resources, and moves the counters past them."""
    last: dict[tuple[str, str, str], int] = {}
    for tenant, kinds in _resources(events).items():
        streams = EventStream.objects.using(database).filter(
            tenant_id=tenant, resource_id__in={resource_id for _, resource_id in kinds}
        )
        for stream in streams:
            key = (tenant, stream.resource_type, stream.resource_id)
            if (key[1], key[2]) in kinds:
                last[key] = stream.last_sequence_number
    counter, _ = EventSequencer.objects.using(database).get_or_create(id=1)
    for offset, event in enumerate(events, start=1):
        key = (event.tenant_id, event.resource_type, event.resource_id)
        event.sequence_number = last[key] = last.get(key, 0) + 1
        event.position = counter.last_position + offset
    EventStream.objects.using(database).bulk_create(
        [
            EventStream(tenant_id=t, resource_type=kind, resource_id=rid, last_sequence_number=n)
            for (t, kind, rid), n in sorted(last.items())
        ],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["tenant", "resource_type", "resource_id"],
        update_fields=["last_sequence_number"],
    )
    counter.last_position += len(events)
    counter.save(using=database, update_fields=["last_position"])


def _resources(events: list[Event]) -> dict[str, set[tuple[str, str]]]:
    by_tenant: dict[str, set[tuple[str, str]]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, set()).add((event.resource_type, event.resource_id))
    return by_tenant
