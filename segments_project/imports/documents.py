"""The import of versioned documents addressed by their id (`DocumentImporter`), whatever
the kind: the app that owns a kind names its document function (validation) and its
set-based upsert service (the write). A row is the document a `PUT .../{id}` would send;
it replaces the stored document (localized members too: a row carries every language it
keeps).

Per batch the app's service reads (and locks) the stored rows in one query, leaves
unchanged ones alone and writes new and changed ones in one `INSERT ... ON CONFLICT
(tenant, id) DO UPDATE`, changed ones with version + 1 and a new modification time
(`segments_project.versioned.documents_upsert_many`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from segments_project.api.documents import requested_version
from segments_project.errors import VersionConflict
from segments_project.writes import Counts, Upserted

from .chunks import Accepted, Importer, require_object, required_id


class DocumentImporter(Importer):
    """Upserts documents by id. A subclass (in the app that owns the kind) names `values`,
    the API's function from a document to the model's field values, and `upsert_many`,
    the app's set-based service (`tenant=`, `rows=` the accepted rows, `now=`) that
    writes them and answers what became of each (`Upserted`)."""

    values: ClassVar[Callable[..., dict[str, Any]]]
    upsert_many: ClassVar[Callable[..., Upserted]]

    def accept(self, line: int, document: Any) -> Accepted:
        document = require_object(document, self.label)
        public_id = required_id(document)
        values = type(self).values(document, content_language=None)
        return Accepted(line, public_id, values, requested_version(document))

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        upserted = type(self).upsert_many(tenant=self.tenant, rows=batch, now=now)
        counts.add(upserted.counts)
        for row, error in upserted.refused:
            field = "metadata.version" if isinstance(error, VersionConflict) else None
            self.reject(row.line, error, field=field, document=row)
