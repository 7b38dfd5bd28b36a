"""Appends to the outbox in the caller's transaction: `events_append` (events), and
`outbox_write` (one row of any kind, see `OutboxEntry`).

An event exists if and only if the transaction that appended it commits: a write inserts
one `OutboxEntry` row, which `sequencing.events_sequence()` expands into numbered events
once it is committed. Before it inserts that row, a write takes a lock on each resource
its events are about (PostgreSQL: a transaction-level advisory lock, held until the
commit), so that of two writes about one resource the second inserts its row after the
first committed: entries of one resource are in commit order by `id`, and the sequencer,
numbering in `id` order, gives their events increasing `sequence_number`s in commit order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router

from segments_project.db.binding import server_binding_cursor

from .models import OutboxEntry


@dataclass(frozen=True)
class EventDraft:
    """An event to append: its type (`segment.member.added`), the resource it is about
    (`segment`, `coupon`, `customer`; public id) and its data (plain JSON)."""

    type: str
    resource_type: str
    resource_id: str
    data: dict[str, Any] = field(default_factory=dict)


# The kind of `OutboxEntry` whose payload is the events themselves (`events_append`).
DRAFTS = "drafts"

_OUTBOX = OutboxEntry._meta.db_table

# pg_advisory_xact_lock(key, hashtext(resource)): the two-integer form, so these never meet
# the sequencer's lock (one bigint). A hash collision only makes two writes take turns.
RESOURCE_LOCK_KEY = 0x65767473  # "evts"

# PostgreSQL, one statement: the resources' locks (in the order given, sorted, so that two
# writers lock in one order), then the row; the aggregate over the locks makes the row
# (and its id) wait for all of them.
_WRITE_CTES = """
locks AS (
    SELECT count(pg_advisory_xact_lock(%s, hashtext(k))) AS n
    FROM unnest(%s::text[]) WITH ORDINALITY AS r(k, idx)
)"""
_WRITE_INSERT = f"""
INSERT INTO "{_OUTBOX}" (tenant_id, kind, payload, extra, created_at)
SELECT %s, %s, %s, %s, CURRENT_TIMESTAMP FROM locks
"""


def resource_key(tenant: str, resource_type: str, resource_id: str) -> str:
    """What a write locks for one resource of its events."""
    return f"{tenant}\x1f{resource_type}\x1f{resource_id}"


def outbox_write(
    *,
    tenant: str,
    kind: str,
    payload: str,
    extra: str,
    resources: Iterable[str],
    preceding: tuple[str, list[Any]] | None = None,
) -> None:
    """Inserts one outbox row (see `OutboxEntry`) after locking `resources`
    (`resource_key`s: a superset of the resources of the events it will expand to).
    Must run inside the change's transaction; one statement on PostgreSQL.

    `preceding` (PostgreSQL only): another data-modifying statement of the change,
    `name AS (INSERT ...)` and its parameters, run as a part of the same statement
    (the audit trail's INSERT: one round trip for both)."""
    database = router.db_for_write(OutboxEntry)
    connection = connections[database]
    if connection.vendor == "postgresql":
        params = [RESOURCE_LOCK_KEY, sorted(set(resources)), tenant, kind, payload, extra]
        statement = f"WITH {_WRITE_CTES}{_WRITE_INSERT}"
        if preceding is not None:
            statement = f"WITH {preceding[0]},{_WRITE_CTES}{_WRITE_INSERT}"
            params = [*preceding[1], *params]
        with server_binding_cursor(connection) as cursor:
            cursor.execute(statement, params)
        return
    if preceding is not None:
        raise ValueError("preceding statements are for PostgreSQL only")
    # SQLite has one writer at a time: the order of the rows is the commit order.
    OutboxEntry.objects.using(database).create(
        tenant_id=tenant, kind=kind, payload=payload, extra=extra
    )


def events_append(*, tenant: str, drafts: Iterable[EventDraft]) -> None:
    """Appends the events in order (one outbox row; none when there are no events); the
    sequencer numbers them per resource. Must run inside the change's transaction."""
    drafts = list(drafts)
    if not drafts:
        return
    rows = [[draft.type, draft.resource_type, draft.resource_id, draft.data] for draft in drafts]
    outbox_write(
        tenant=tenant,
        kind=DRAFTS,
        payload=json.dumps(rows, cls=DjangoJSONEncoder, separators=(",", ":")),
        extra="",
        resources={resource_key(tenant, d.resource_type, d.resource_id) for d in drafts},
    )


def drafts_expanded(payload: str, extra: str) -> list[EventDraft]:
    """The events of a "drafts" outbox row."""
    return [EventDraft(*row) for row in json.loads(payload)]
