"""What the audit trail says of member writes: one entry per assignment a call changed."""

from __future__ import annotations

from typing import Any

from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, diff, updated_event_data

from ..documents.members import MemberKey


def member_document_id(key: MemberKey) -> str:
    """The assignment named like its URL: `<customer id>` (B2C), `<customer id>/<legal
    entity id>` (B2B)."""
    if key.legal_entity_id is None:
        return key.customer_id
    return f"{key.customer_id}/{key.legal_entity_id}"


def member_change(segment_id: str, key: MemberKey, action: str, changes: dict[str, Any]) -> Change:
    """An entry for the assignment: its values when assigned or unassigned."""
    return Change(
        DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT,
        member_document_id(key),
        action,
        segment_id,
        changes,
    )


# Stored field -> the member document's name for it, for `segment.member.updated`.
MEMBER_EVENT_FIELDS = {
    "mixins": "mixins",
    "metadata_mixins": "metadata.mixins",
    "assignment_type": "assignmentType",
}


def member_update(
    segment_id: str,
    key: MemberKey,
    before: dict[str, Any],
    after: dict[str, Any],
    assignment_type: str,
) -> Change | None:
    """The update's `{field: [old, new]}`; None when the writes of one call cancelled out.
    Its event also says the member's `assignment_type` after it."""
    changes = diff(before, after)
    if not changes:
        return None
    event_data = updated_event_data(changes, MEMBER_EVENT_FIELDS)
    return Change(
        DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT,
        member_document_id(key),
        AuditAction.UPDATED,
        segment_id,
        changes,
        event_data={**(event_data or {}), "assignmentType": str(assignment_type)},
    )
