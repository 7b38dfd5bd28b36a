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
from segments_project.events.append import EventDraft, outbox_write

from .actor import current_actor
from .change_events import change_events, change_resources
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


# The outbox rows' kind whose events `audit_expanded` makes (registered in `apps`).
AUDIT_KIND = "audit"

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
    and appends them to the events' outbox (one row, `outbox_write`), from which the
    sequencer makes the change events they mean (`change_events`, registered as the
    expander of "audit" rows): on PostgreSQL in the same statement, elsewhere in one more.
    The rows are the trail's own JSON: a write computes no event and writes no list twice
    in Python."""
    changes = list(changes)
    if not changes:
        return
    _write(tenant, changes, _encoded(_rows(changes)))


def _write(tenant: str, changes: list[Change], rows: str) -> None:
    """The trail's rows and, for changes that have events, the outbox row."""
    resources = change_resources(tenant, changes)
    if not resources:  # nothing a consumer is told of (e.g. a webhook subscription)
        _audit_only(tenant, changes, rows)
        return
    extras = {
        str(index): change.event_data
        for index, change in enumerate(changes)
        if change.event_data is not None
    }
    outbox = {
        "tenant": tenant,
        "kind": AUDIT_KIND,
        "payload": rows,
        "extra": _encoded(extras) if extras else "",
        "resources": resources,
    }
    connection = connections[router.db_for_write(AuditEvent)]
    if connection.vendor == "postgresql":
        # The trail's rows and the outbox row in one statement: one round trip for both.
        outbox_write(**outbox, preceding=(f"audit AS ({_INSERT})", _insert_params(tenant, rows)))
        return
    _audit_only(tenant, changes, rows)
    outbox_write(**outbox)


def audit_expanded(payload: str, extra: str) -> list[EventDraft]:
    """The events of an "audit" outbox row (`_write`): the changes read back from the
    trail's JSON rows (values as JSON: what the events hold anyway), then `change_events`."""
    extras = json.loads(extra) if extra else {}
    changes = [
        Change(
            document_type=document_type,
            document_id=document_id,
            action=action,
            segment_id=segment_id,
            changes=values,
            event_data=extras.get(str(index)),
        )
        for index, (action, document_type, document_id, segment_id, values) in enumerate(
            json.loads(payload)
        )
    ]
    return change_events(changes)


def _rows(changes: list[Change]) -> list[list[Any]]:
    return [
        [
            str(change.action),
            str(change.document_type),
            change.document_id,
            change.segment_id,
            change.changes,
        ]
        for change in changes
    ]


def _insert_params(tenant: str, rows: str) -> list[Any]:
    actor = current_actor()
    return [tenant, str(actor.kind), actor.name, actor.request_id, rows]


def _audit_only(tenant: str, changes: list[Change], rows: str) -> None:
    """The trail's rows alone (`rows`: `_rows(changes)` as JSON)."""
    connection = connections[router.db_for_write(AuditEvent)]
    if connection.vendor == "postgresql":
        with server_binding_cursor(connection) as cursor:
            cursor.execute(_INSERT, _insert_params(tenant, rows))
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
