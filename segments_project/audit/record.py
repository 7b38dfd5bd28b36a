"""Writes the audit trail: `record(tenant, changes)` from inside a write service.

The actor comes from `actor.current_actor()`, the time from the database. The rows are
inserted with one `bulk_create` in the caller's transaction, so a write that rolls back
leaves no audit row, and a bulk call of any size adds one INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from .actor import current_actor
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


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{"field": [old, new]}` for every field of `new` whose value differs from `old`
    (a field missing from `old` counts as None)."""
    return {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}


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
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def record(tenant: str, changes: Iterable[Change]) -> None:
    """Records the changes as done by the current actor, with one INSERT (none if empty)."""
    actor = current_actor()
    events = [
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
    ]
    if events:
        AuditEvent.objects.bulk_create(events)
