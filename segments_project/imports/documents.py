"""The import of versioned documents addressed by their id (`DocumentImporter`), whatever
the kind: the app that owns a kind names its model and its document function. A row is
the document a `PUT .../{id}` would send; it replaces the stored document (localized
members too: a row carries every language it keeps).

Per batch: the stored rows are read (and locked) in one query; unchanged ones are left
alone; new and changed ones are written in one `INSERT ... ON CONFLICT (tenant, id) DO
UPDATE`, changed ones with version + 1 and a new modification time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from segments_project.api.documents import requested_version
from segments_project.audit.models import AuditAction
from segments_project.audit.record import Change, diff, record
from segments_project.writes import Counts

from .chunks import Accepted, Importer, require_object, required_id, version_conflict


class DocumentImporter(Importer):
    """Upserts documents by id with the kind's document function. A subclass (in the app
    that owns the kind) names the `model` (with `tenant`, `public_id`, `version`,
    `created_at`, `modified_at`) and `values`, the API's function from a document to the
    model's field values."""

    model: ClassVar[type[models.Model]]
    values: ClassVar[Callable[..., dict[str, Any]]]
    # The kind's audit trail document type (segments only: their events are filed under
    # their own id): one event per written row, as the API records it; "" records nothing.
    audit_type: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._changes: list[Change] = []  # of the rows planned, recorded with their upsert

    def accept(self, line: int, document: Any) -> Accepted:
        document = require_object(document, self.label)
        public_id = required_id(document)
        values = type(self).values(document, content_language=None)
        return Accepted(line, public_id, values, requested_version(document))

    def stored(self, batch: list[Accepted], fields: list[str]) -> dict[str, dict[str, Any]]:
        """The stored rows the batch names, locked until the chunk commits, by public id."""
        rows = (
            self.model.objects.select_for_update(no_key=True)
            .filter(tenant_id=self.tenant, public_id__in=[item.key for item in batch])
            .order_by("pk")
            .values("pk", "public_id", "version", "created_at", *fields)
        )
        return {row["public_id"]: row for row in rows}

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        fields = list(batch[0].values)
        stored = self.stored(batch, fields)
        self.upsert(self.planned(batch, stored, counts, now), fields)

    def planned(
        self,
        batch: list[Accepted],
        stored: dict[str, dict[str, Any]],
        counts: Counts,
        now: datetime,
        *,
        also_changed: Callable[[Accepted, dict[str, Any]], bool] | None = None,
    ) -> list[models.Model]:
        """The rows to write (new and changed ones, with their next version), counting
        each item; `also_changed` tells of changes outside the row (links)."""
        objects = []
        for item in batch:
            current = stored.get(item.key)
            if current is None:
                version, created_at = 1, now
                counts.inserted += 1
            else:
                conflict = version_conflict(item, current["version"])
                if conflict is not None:
                    self.reject(item.line, conflict, field="metadata.version", document=item)
                    continue
                same = all(current[name] == value for name, value in item.values.items())
                if same and not (also_changed and also_changed(item, current)):
                    counts.unchanged += 1
                    continue
                version, created_at = current["version"] + 1, current["created_at"]
                counts.updated += 1
            if self.audit_type:
                self._changes.append(self.audit_change(item, current))
            objects.append(
                self.model(
                    tenant_id=self.tenant,
                    public_id=item.key,
                    version=version,
                    created_at=created_at,
                    modified_at=now,
                    **item.values,
                )
            )
        return objects

    def audit_change(self, item: Accepted, current: dict[str, Any] | None) -> Change:
        """The audit event of a planned row: its values when new, else what changed."""
        if current is None:
            return Change(self.audit_type, item.key, AuditAction.CREATED, item.key, item.values)
        before = {name: current[name] for name in item.values}
        changes = diff(before, item.values)
        return Change(self.audit_type, item.key, AuditAction.UPDATED, item.key, changes)

    def transaction_ended(self, *, committed: bool, outermost: bool) -> None:
        if not committed:
            self._changes = []

    def upsert(self, objects: list[models.Model], fields: list[str]) -> list[models.Model]:
        """One `INSERT ... ON CONFLICT (tenant, public_id) DO UPDATE`; sets the pks. The
        planned rows' audit events go with it."""
        changes, self._changes = self._changes, []
        if not objects:
            return []
        written = self.model.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["tenant", "public_id"],
            update_fields=[*fields, "version", "modified_at"],
        )
        record(self.tenant, changes)
        return written
