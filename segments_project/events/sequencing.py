"""Gives committed events their `position`: the global order in which they became visible
(and those appended on PostgreSQL their public id).

A writer cannot number its events at insert time: a transaction that inserts first may
commit last, and a reader at "position > cursor" would then skip it. So events are inserted
with a NULL position and numbered here, afterwards, in one serialized statement: only rows
already committed are visible to it, and a row that commits later is numbered by a later
call, above every position given before.
"""

from __future__ import annotations

from django.db import connections, router, transaction

from .models import Event, EventSequencer

# pg_advisory_xact_lock key of the sequencer ("events" in ASCII).
_LOCK_KEY = 0x6576656E7473

_EVENTS = Event._meta.db_table
_SEQUENCER = EventSequencer._meta.db_table

# The pending events numbered in id order, above the counter, and the counter moved past
# them, in one statement (the counter row is created on the first call). Events appended
# on PostgreSQL get their public id here too (`Event.public_id`).
_SEQUENCE = f"""
WITH pending AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM "{_EVENTS}" WHERE position IS NULL
), total AS (
    SELECT count(*) AS n FROM pending
), counter AS (
    INSERT INTO "{_SEQUENCER}" (id, last_position) SELECT 1, n FROM total WHERE n > 0
    ON CONFLICT (id) DO UPDATE
    SET last_position = "{_SEQUENCER}".last_position + EXCLUDED.last_position
    RETURNING last_position
)
UPDATE "{_EVENTS}" AS e SET position = counter.last_position - total.n + pending.n,
    public_id = coalesce(e.public_id, gen_random_uuid())
FROM pending, total, counter WHERE e.id = pending.id
"""


def events_sequence() -> int:
    """Numbers every committed event that has no position yet; returns how many.

    Safe to call from many processes at once: PostgreSQL callers take turns on a
    transaction-level advisory lock (SQLite has a single writer)."""
    database = router.db_for_write(Event)
    connection = connections[database]
    with transaction.atomic(using=database):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A statement of its own: the numbering statement's snapshot is then taken
                # after the previous holder committed, so it sees that holder's positions.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
                cursor.execute(_SEQUENCE)
                return cursor.rowcount
        return _sequence_portably(database)


def _sequence_portably(database: str) -> int:
    pending = list(
        Event.objects.using(database).filter(position__isnull=True).order_by("id").only("id")
    )
    if not pending:
        return 0
    counter, _ = EventSequencer.objects.using(database).get_or_create(id=1)
    for offset, event in enumerate(pending, start=1):
        event.position = counter.last_position + offset
    Event.objects.using(database).bulk_update(pending, ["position"], batch_size=500)
    counter.last_position += len(pending)
    counter.save(using=database, update_fields=["last_position"])
    return len(pending)
