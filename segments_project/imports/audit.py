"""What the audit trail says of an import (`segments_project.audit`), in the chunk's own
transaction, with one INSERT per chunk (a rolled-back chunk or a dry run leaves nothing).

- Segments: one event per created or changed segment, as the API records them.
- Segment items and members: one event per segment, action (`assigned`, `updated`,
  `unassigned`) and chunk, whose `changes` hold the count and the ids of the assignments,
  named as the API's events name them (`PRODUCT/<item id>`, `<customer id>[/<legal entity
  id>]`). Its `document_id` says which rows of the file: `lines 2-10001`, or
  `replace mode` for what replace mode removed. One event per row would cost about 0.6x
  of a COPY of the rows on top of the import (measured: docs/imports.md).
"""

from __future__ import annotations

from typing import Any

from segments_project.audit.record import Change, record

REPLACE_MODE = "replace mode"


def lines_of(first: int, last: int) -> str:
    """The `document_id` of a chunk's events: the lines of the file it read."""
    return f"lines {first}-{last}"


class AssignmentAudit:
    """Collects the assignments of one kind a chunk changed, by segment and action, and
    records them as one event each."""

    def __init__(self, document_type: str, event_data: dict[str, Any] | None = None) -> None:
        self.document_type = document_type
        # What the change events need beyond the ids (`Change.event_data`).
        self.event_data = event_data
        self._ids: dict[tuple[str, str], list[str]] = {}

    def add(self, segment_id: str, action: str, document_id: str) -> None:
        self._ids.setdefault((segment_id, action), []).append(document_id)

    def discard(self) -> None:
        self._ids = {}

    def record(self, tenant: str, document_id: str) -> None:
        """Records what was collected (nothing if nothing was) and starts over."""
        collected, self._ids = self._ids, {}
        record(
            tenant,
            [
                Change(
                    self.document_type,
                    document_id,
                    action,
                    segment_id,
                    {"count": len(ids), "ids": ids},
                    event_data=self.event_data,
                )
                for (segment_id, action), ids in collected.items()
            ],
        )
