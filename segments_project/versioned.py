"""Writes shared by every versioned, tenant-owned document (segments, products, customers...).

A resource describes itself once with a `DocumentKind`; create, upsert and patch then follow
the same rules everywhere: row locks, `metadata.version` checks (409, nothing changed),
writes of the changed fields only, and a version that grows only when something changed.
`documents_upsert_many` applies the same rules to many documents at once, set-based (the
imports): one locking read and an `INSERT ... ON CONFLICT` for the new and one for the
changed rows per call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from segments_project.api.documents import (
    READ_ONLY_PATHS,
    check_version,
    clean_id,
    generate_id,
    requested_version,
)
from segments_project.api.localization import localized_input
from segments_project.api.patch import apply_patch
from segments_project.audit.models import AuditAction
from segments_project.audit.record import Change, diff, record, updated_event_data
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import AlreadyExists, NotFound, VersionConflict, field_error
from segments_project.tenancy.versions import content_changed
from segments_project.writes import Upserted

# (document, content_language=..., current=...) -> model field values, or a ValidationFailed.
ValuesFunction = Callable[..., dict[str, Any]]
# (tenant, the audit changes of one write) -> None: a kind's follow-up work in the write's
# transaction (a segment whose criteria changed enqueues its evaluation).
ChangesHook = Callable[[str, list[Change]], None]
# (the row written, whether it was created) -> None: marks the storefront answers it can
# change stale (`tenancy/versions.py`), inside the write's transaction.
ContentHook = Callable[[Any, bool], None]


@dataclass(frozen=True)
class DocumentKind:
    """How one resource maps between its API document and its model."""

    model: type[models.Model]
    label: str
    values: ValuesFunction
    render: Callable[[Any], dict[str, Any]]
    document_fields: frozenset[str]
    # Document member -> model field, for the localized members.
    localized_fields: tuple[tuple[str, str], ...] = ()
    # The audit trail's document type; None leaves the kind's writes unrecorded.
    audit_type: str | None = None
    # The document is a segment: its audit events are filed under its own id.
    is_segment: bool = False
    # Stored field -> document member, for the change events' `changedFields`.
    event_fields: Mapping[str, str] | None = None
    # JSON Pointers a JSON Patch may not write.
    read_only_paths: frozenset[str] = READ_ONLY_PATHS
    # Called with the audit changes of every create, update and set-based upsert of the
    # kind, inside the write's transaction (needs `audit_type`): one place for work that
    # must follow a change whichever entry point made it.
    on_changes: ChangesHook | None = None
    # What a create or update of one row marks stale in the storefront's cache; None marks
    # every answer of the tenant (fail safe). Set-based upserts leave it to their caller.
    on_content_change: ContentHook | None = None

    def content_changed(self, obj: Any, *, created: bool) -> None:
        if self.on_content_change is None:
            content_changed(tenant=obj.tenant_id)
        else:
            self.on_content_change(obj, created)

    def audit_segment_id(self, public_id: str) -> str | None:
        return public_id if self.is_segment else None

    def not_found(self, public_id: str) -> NotFound:
        return NotFound(
            f"The {self.label} with id {public_id} has not been found.", resource_id=public_id
        )


def locked(kind: DocumentKind, tenant: str, public_id: str) -> Any | None:
    return (
        kind.model.objects.select_for_update().filter(tenant_id=tenant, public_id=public_id).first()
    )


def insert(kind: DocumentKind, tenant: str, public_id: str, values: dict[str, Any]) -> Any:
    now = timezone.now()
    obj = kind.model(
        tenant_id=tenant, public_id=public_id, version=1, created_at=now, modified_at=now, **values
    )
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as exc:
        raise AlreadyExists(
            f"A {kind.label} with id {public_id} already exists.", resource_id=public_id
        ) from exc
    kind.content_changed(obj, created=True)
    if kind.audit_type is not None:
        change = Change(
            kind.audit_type,
            public_id,
            AuditAction.CREATED,
            kind.audit_segment_id(public_id),
            values,
        )
        _recorded(kind.on_changes, tenant, [change])
    return obj


def _recorded(on_changes: ChangesHook | None, tenant: str, changes: list[Change]) -> None:
    """Records the changes in the audit trail, then tells the kind's hook of them."""
    record(tenant, changes)
    if on_changes is not None and changes:
        on_changes(tenant, changes)


def update_changed(
    obj: Any,
    values: dict[str, Any],
    *,
    audit_type: str | None = None,
    audit_segment_id: str | None = None,
    on_changes: ChangesHook | None = None,
    event_fields: Mapping[str, str] | None = None,
    on_content_change: ContentHook | None = None,
) -> Any:
    """Writes only the changed fields; a write that changes nothing keeps the version.

    With `audit_type`, a change is recorded in the audit trail as `{field: [old, new]}`
    and passed to `on_changes`; its change event names the fields by `event_fields`.
    `on_content_change` marks what the change makes stale in the storefront's cache (None:
    every answer of the tenant).
    """
    changes = diff({field: getattr(obj, field) for field in values}, values)
    if not changes:
        return obj
    for field in changes:
        setattr(obj, field, values[field])
    obj.version += 1
    obj.modified_at = timezone.now()
    obj.save(update_fields=[*changes, "version", "modified_at"])
    if on_content_change is None:
        content_changed(tenant=obj.tenant_id)
    else:
        on_content_change(obj, False)
    if audit_type is not None:
        change = Change(
            audit_type,
            obj.public_id,
            AuditAction.UPDATED,
            audit_segment_id,
            changes,
            event_data=updated_event_data(changes, event_fields),
        )
        _recorded(on_changes, obj.tenant_id, [change])
    return obj


def kind_update_changed(kind: DocumentKind, obj: Any, values: dict[str, Any]) -> Any:
    """`update_changed`, recorded in the audit trail as the kind says."""
    return update_changed(
        obj,
        values,
        audit_type=kind.audit_type,
        audit_segment_id=kind.audit_segment_id(obj.public_id),
        on_changes=kind.on_changes,
        event_fields=kind.event_fields,
        on_content_change=lambda row, created: kind.content_changed(row, created=created),
    )


def document_create(
    kind: DocumentKind, *, tenant: str, document: Any, content_language: str | None
) -> Any:
    """Creates with the document's id or a generated one; 409 if the id is taken."""
    values = kind.values(document, content_language=content_language)
    public_id = clean_id(document["id"]) if document.get("id") is not None else generate_id()
    return insert(kind, tenant, public_id, values)


def document_upsert(
    kind: DocumentKind,
    *,
    tenant: str,
    public_id: str,
    document: Any,
    content_language: str | None,
) -> tuple[Any, bool]:
    """Replaces or creates; returns the row and whether it was created.

    The row is locked while its version is compared and written, so two writers holding
    the same version cannot both succeed. Must run inside a transaction.
    """
    clean_id(public_id)
    if isinstance(document, dict) and document.get("id") not in (None, public_id):
        raise field_error("id", "The id in the body differs from the id in the path.")
    current = locked(kind, tenant, public_id)
    values = kind.values(document, content_language=content_language, current=current)
    if current is None:
        try:
            return insert(kind, tenant, public_id, values), True
        except AlreadyExists:
            # Another writer created it since our read; update what they created.
            current = locked(kind, tenant, public_id)
            if current is None:
                raise
    check_version(
        current=current.version, requested=requested_version(document), resource_id=public_id
    )
    reached(Checkpoint.DOCUMENT_VERSION_CHECKED)
    return kind_update_changed(kind, current, values), False


def patched_document(
    kind: DocumentKind, current: Any, patch: Any, *, content_language: str | None
) -> dict[str, Any]:
    """The stored document after the patch, checked for unknown members, id and version.

    A localized member the patch set to a plain string is read in `content_language`
    and merged into the stored translations; maps are taken as they are.
    """
    document = apply_patch(kind.render(current), patch, read_only=kind.read_only_paths)
    unknown = sorted(set(document) - kind.document_fields)
    if unknown:
        raise field_error(unknown[0], f"Unknown {kind.label} field: {unknown[0]}.")
    if document.get("id") != current.public_id:
        raise field_error("id", f"The id of a {kind.label} cannot be changed.")
    check_version(
        current=current.version,
        requested=requested_version(document),
        resource_id=current.public_id,
    )
    reached(Checkpoint.DOCUMENT_VERSION_CHECKED)
    for member, field in kind.localized_fields:
        if content_language is not None and isinstance(document.get(member), str):
            document[member] = localized_input(
                member,
                document[member],
                content_language=content_language,
                current=getattr(current, field),
            )
    return document


def document_patch(
    kind: DocumentKind, *, tenant: str, public_id: str, patch: Any, content_language: str | None
) -> Any:
    """Applies a JSON Patch or merge patch; the result must be valid. Must run in a transaction."""
    current = locked(kind, tenant, public_id)
    if current is None:
        raise kind.not_found(public_id)
    document = patched_document(kind, current, patch, content_language=content_language)
    values = kind.values(document, content_language=None, current=current)
    return kind_update_changed(kind, current, values)


# --- many documents at once ---------------------------------------------------------------


class DocumentRow(Protocol):
    """A row of a set-based upsert: the document's public id, its model values (the kind's
    `values` of the document) and the `metadata.version` it names, if any."""

    key: Any
    values: dict[str, Any]
    version: int | None


RowT = TypeVar("RowT", bound=DocumentRow)


def locked_many(
    kind: DocumentKind, tenant: str, public_ids: Sequence[str], fields: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The stored rows of those ids by public id (pk, version, created_at and `fields`),
    locked (`FOR NO KEY UPDATE`, in pk order) until the transaction ends."""
    rows = (
        kind.model.objects.select_for_update(no_key=True)
        .filter(tenant_id=tenant, public_id__in=public_ids)
        .order_by("pk")
        .values("pk", "public_id", "version", "created_at", *fields)
    )
    return {row["public_id"]: row for row in rows}


def documents_upsert_many(
    kind: DocumentKind,
    *,
    tenant: str,
    rows: Sequence[DocumentRow],
    now: datetime | None = None,
    stored: dict[str, dict[str, Any]] | None = None,
    also_changed: Callable[[DocumentRow, dict[str, Any]], bool] | None = None,
    upserted: Upserted | None = None,
) -> Upserted:
    """Replaces or creates each row's document, as `document_upsert` does one: a stale
    `metadata.version` refuses the row (409), an unchanged row keeps its version and
    modification time, a changed one gets version + 1, and the kind's audit events are
    recorded. New rows are written in one `INSERT ... ON CONFLICT DO NOTHING`, changed
    (locked) ones in one `INSERT ... ON CONFLICT DO UPDATE`.

    A new row whose id another writer created after the locking read is not written: it
    lands in `upserted.raced`, uncounted, for the caller to write again as the update it
    now is (`until_settled`); overwriting it would lose that writer's document silently.

    No key may appear twice in `rows`; all rows carry the same fields. `stored` (from
    `locked_many`) when the caller had to lock the rows first; `also_changed` tells of
    changes outside the row (a customer's links). Must run inside a transaction; the
    caller marks the tenant's content changed (an import: once per chunk, as its last
    statement).
    """
    upserted = Upserted() if upserted is None else upserted
    if not rows:
        return upserted
    fields = list(rows[0].values)
    if stored is None:
        stored = locked_many(kind, tenant, [row.key for row in rows], fields)
    objects, changes = _planned(
        kind, tenant, rows, stored, now or timezone.now(), also_changed, upserted
    )
    reached(Checkpoint.DOCUMENTS_PLANNED)
    new = [obj for obj in objects if obj.public_id not in stored]
    raced = {obj.public_id for obj in new} - _inserted_new(kind.model, new)
    upserted.written += [obj for obj in new if obj.public_id not in raced]
    changed = [obj for obj in objects if obj.public_id in stored]
    if changed:
        upserted.written += kind.model.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["tenant", "public_id"],
            update_fields=[*fields, "version", "modified_at"],
        )
    if raced:
        upserted.counts.inserted -= len(raced)
        upserted.raced += [row for row in rows if row.key in raced]
        changes = [change for change in changes if change.document_id not in raced]
    _recorded(kind.on_changes, tenant, changes)
    return upserted


def documents_upsert_settled(
    kind: DocumentKind, *, tenant: str, rows: Sequence[DocumentRow], now: datetime | None = None
) -> Upserted:
    """`documents_upsert_many` until no row is left raced by another writer's create."""

    def write(batch: Sequence[DocumentRow], upserted: Upserted) -> None:
        documents_upsert_many(kind, tenant=tenant, rows=batch, now=now, upserted=upserted)

    return until_settled(rows, write)


def _inserted_new(model: type[models.Model], objects: list[models.Model]) -> set[str]:
    """Inserts the new rows (`INSERT ... ON CONFLICT DO NOTHING RETURNING`), setting the
    pks of those written; the public ids of those written. A row another writer created
    since the locking read is skipped (PostgreSQL waits for that writer to commit first)."""
    if not objects:
        return set()
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    returning = [meta.pk, meta.get_field("public_id")]
    by_key = {obj.public_id: obj for obj in objects}
    batch_size = max(connection.ops.bulk_batch_size(fields, objects), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
            query.insert_values(fields, objects[start : start + batch_size])
            compiler = query.get_compiler(connection=connection)
            compiler.returning_fields = returning
            for statement, params in compiler.as_sql():
                cursor.execute(statement, params)
                for pk, public_id in cursor.fetchall():
                    obj = by_key[public_id]
                    obj.pk = pk
                    obj._state.adding, obj._state.db = False, alias
    return {obj.public_id for obj in objects if obj.pk is not None}


def until_settled(
    rows: Sequence[RowT], write: Callable[[Sequence[RowT], Upserted], object]
) -> Upserted:
    """Runs a set-based write (`write(rows, upserted)`) and again for the rows it found
    raced by another writer's create (`upserted.raced`), until none is left: on the next
    pass they are stored, locked and written as updates."""
    upserted: Upserted = Upserted()
    pending: Sequence[RowT] = rows
    while pending:
        write(pending, upserted)
        pending, upserted.raced = upserted.raced, []
    return upserted


def _planned(
    kind: DocumentKind,
    tenant: str,
    rows: Sequence[DocumentRow],
    stored: dict[str, dict[str, Any]],
    now: datetime,
    also_changed: Callable[[DocumentRow, dict[str, Any]], bool] | None,
    upserted: Upserted,
) -> tuple[list[models.Model], list[Change]]:
    """The objects to write (new and changed rows, with their next version) and their
    audit events; counts every row or refuses it."""
    counts = upserted.counts
    objects, changes = [], []
    for row in rows:
        current = stored.get(row.key)
        if current is None:
            version, created_at = 1, now
            counts.inserted += 1
        else:
            try:
                check_version(
                    current=current["version"], requested=row.version, resource_id=row.key
                )
            except VersionConflict as exc:
                upserted.refused.append((row, exc))
                continue
            same = all(current[name] == value for name, value in row.values.items())
            if same and not (also_changed and also_changed(row, current)):
                counts.unchanged += 1
                continue
            version, created_at = current["version"] + 1, current["created_at"]
            counts.updated += 1
        if kind.audit_type is not None:
            changes.append(_audit_change(kind, row, current))
        objects.append(
            kind.model(
                tenant_id=tenant,
                public_id=row.key,
                version=version,
                created_at=created_at,
                modified_at=now,
                **row.values,
            )
        )
    return objects, changes


def _audit_change(kind: DocumentKind, row: DocumentRow, current: dict[str, Any] | None) -> Change:
    """The audit event of a planned row, as `insert` and `update_changed` record it: its
    values when new, else what changed."""
    assert kind.audit_type is not None
    segment_id = kind.audit_segment_id(row.key)
    if current is None:
        return Change(kind.audit_type, row.key, AuditAction.CREATED, segment_id, row.values)
    changes = diff({name: current[name] for name in row.values}, row.values)
    return Change(
        kind.audit_type,
        row.key,
        AuditAction.UPDATED,
        segment_id,
        changes,
        event_data=updated_event_data(changes, kind.event_fields),
    )
