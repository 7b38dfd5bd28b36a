"""Writes the audit trail: `record(tenant, changes)` from inside a write service.

The actor comes from `actor.current_actor()`, the time from the database. The rows are
inserted with one statement in the caller's transaction, so a write that rolls back
leaves no audit row, and a bulk call of any size adds one INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router
from django.db.models import Model

from segments_project.db.binding import server_binding_cursor
from segments_project.events.append import events_append

from .actor import current_actor
from .change_events import change_events
from .models import AuditEvent


@dataclass(frozen=True)
class Change:
    """One changed document. `changes` is `{"field": [old, new]}` for updates (see `diff`)
    and the relevant values for creates and deletes."""

    document_type: str
    document_id: str
    action: str
    segment_id: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    # What the change's events need beyond the trail's entry, not recorded in the trail
    # (see `change_events`): e.g. the full member lists of a rule evaluation.
    event_data: dict[str, Any] | None = None


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{"field": [old, new]}` for every field of `new` whose value differs from `old`
    (a field missing from `old` counts as None)."""
    return {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}


def updated_event_data(
    changes: Mapping[str, Any], names: Mapping[str, str] | None
) -> dict[str, Any] | None:
    """`Change.event_data` of an update: `changedFields`, the changed stored fields by the
    names a consumer knows from the API document (`valid_from` is `validity.from`).
    None without names (the event then names the stored fields)."""
    if names is None:
        return None
    return {"changedFields": sorted({names.get(name, name) for name in changes})}


# Bookkeeping columns that say nothing about what a document holds.
_NOT_RECORDED = frozenset({"id", "tenant", "public_id", "created_at", "modified_at"})


def snapshot(obj: Model) -> dict[str, Any]:
    """The document's own field values (foreign keys by column), for a create or delete."""
    return {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.name not in _NOT_RECORDED
    }


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as plain JSON (datetimes as ISO strings, decimals as strings)."""
    return json.loads(_encoded(values))


def _encoded(values: Any) -> str:
    return json.dumps(values, cls=DjangoJSONEncoder)


# PostgreSQL: the rows travel as one JSON array, so the statement's text never changes and
# neither Django nor PostgreSQL handles a statement of thousands of parameters (a bulk
# request's 200 entries were half the cost of a member write). One JSON document rather
# than a text[] of them: psycopg quotes every `"` inside an array's elements in Python.
_INSERT = f"""INSERT INTO "{AuditEvent._meta.db_table}" (tenant_id, occurred_at, actor_kind, actor,
        action, document_type, document_id, segment_id, changes, request_id)
    SELECT %s, CURRENT_TIMESTAMP, %s, %s, e->>0, e->>1, e->>2, e->>3, e->4, %s
    FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS u(e, idx)
    ORDER BY idx"""


def record(tenant: str, changes: Iterable[Change]) -> None:
    """Records the changes as done by the current actor, with one INSERT (none if empty),
    and appends the change events they mean to the outbox (`change_events`): on
    PostgreSQL in the same statement, elsewhere in one more."""
    changes = list(changes)
    if not changes:
        return
    drafts = change_events(changes)
    connection = connections[router.db_for_write(AuditEvent)]
    if connection.vendor == "postgresql" and drafts:
        # The trail's rows and the events in one statement: one round trip for both.
        audit = (f"audit AS ({_INSERT})", _insert_params(tenant, changes))
        events_append(tenant=tenant, drafts=drafts, preceding=audit)
        return
    _record(tenant, changes)
    events_append(tenant=tenant, drafts=drafts)


def _insert_params(tenant: str, changes: list[Change]) -> list[Any]:
    actor = current_actor()
    rows = [
        [
            str(change.action),
            str(change.document_type),
            change.document_id,
            change.segment_id,
            change.changes,
        ]
        for change in changes
    ]
    return [tenant, str(actor.kind), actor.name, actor.request_id, _encoded(rows)]


def _record(tenant: str, changes: list[Change]) -> None:
    connection = connections[router.db_for_write(AuditEvent)]
    if connection.vendor == "postgresql":
        with server_binding_cursor(connection) as cursor:
            cursor.execute(_INSERT, _insert_params(tenant, changes))
        return
    actor = current_actor()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            tenant_id=tenant,
            actor_kind=actor.kind,
            actor=actor.name,
            action=change.action,
            document_type=change.document_type,
            document_id=change.document_id,
            segment_id=change.segment_id,
            changes=jsonable(change.changes),
            request_id=actor.request_id,
        )
        for change in changes
    )
