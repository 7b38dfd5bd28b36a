"""Writes of segments. The API, the admin and the imports come through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from segments_project import versioned
from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record, snapshot
from segments_project.errors import ValidationFailed
from segments_project.tenancy.versions import segments_changed
from segments_project.writes import Upserted

from ..documents.segments import (
    DOCUMENT_FIELDS,
    SEGMENT_EVENT_FIELDS,
    segment_document,
    segment_values,
)
from ..models import Segment, SegmentEvaluation
from .evaluations import evaluations_for_criteria_changes

SEGMENT = versioned.DocumentKind(
    model=Segment,
    label="segment",
    values=segment_values,
    render=segment_document,
    document_fields=DOCUMENT_FIELDS,
    localized_fields=(("name", "name"), ("description", "description")),
    audit_type=DocumentType.SEGMENT,
    is_segment=True,
    event_fields=SEGMENT_EVENT_FIELDS,
    # A changed rule (created with one, replaced, removed) enqueues a full evaluation, in
    # the write's transaction, whichever entry point wrote it.
    on_changes=evaluations_for_criteria_changes,
    # Its status, validity, site and fields are in its members' answers.
    on_content_change=lambda segment, created: segments_changed(
        tenant=segment.tenant_id, segment_pks=[segment.pk]
    ),
)


@transaction.atomic
def segment_create(
    *, tenant: str, document: dict[str, Any], content_language: str | None = None
) -> Segment:
    """Creates a segment with the document's id or a generated one; 409 if the id is taken."""
    return versioned.document_create(
        SEGMENT, tenant=tenant, document=document, content_language=content_language
    )


@transaction.atomic
def segment_upsert(
    *,
    tenant: str,
    segment_id: str,
    document: dict[str, Any],
    content_language: str | None = None,
) -> tuple[Segment, bool]:
    """Replaces the segment or creates it; returns it and whether it was created.

    A stale `metadata.version` is a 409 and changes nothing.
    """
    return versioned.document_upsert(
        SEGMENT,
        tenant=tenant,
        public_id=segment_id,
        document=document,
        content_language=content_language,
    )


@transaction.atomic
def segments_upsert_many(
    *, tenant: str, rows: Sequence[versioned.DocumentRow], now: datetime | None = None
) -> Upserted:
    """Replaces or creates many segments by id at once, set-based (the imports): the rules
    and audit events of `segment_upsert`, see `versioned.documents_upsert_many`. The
    caller marks the tenant's content changed."""
    return versioned.documents_upsert_settled(SEGMENT, tenant=tenant, rows=rows, now=now)


@transaction.atomic
def segment_patch(
    *, tenant: str, segment_id: str, patch: Any, content_language: str | None = None
) -> Segment:
    """Applies a JSON Patch or merge patch; the result must be a valid segment."""
    return versioned.document_patch(
        SEGMENT, tenant=tenant, public_id=segment_id, patch=patch, content_language=content_language
    )


def _dependents(segment: Segment) -> list[str]:
    """Names of the kinds of assignments that still point at the segment. Its evaluations
    are its own bookkeeping: they go with it."""
    found = []
    for relation in Segment._meta.related_objects:
        if relation.related_model is SegmentEvaluation:
            continue
        accessor = relation.get_accessor_name()
        if accessor and getattr(segment, accessor).exists():
            found.append(str(relation.related_model._meta.verbose_name_plural))
    return found


@transaction.atomic
def segment_delete(*, tenant: str, segment_id: str, force: bool = False) -> bool:
    """Deletes the segment (and with `force`, its assignments); False if it did not exist.

    Without `force`, a segment that still has assignments is a 400 and stays.
    """
    segment = versioned.locked(SEGMENT, tenant, segment_id)
    if segment is None:
        return False
    if not force:
        dependents = _dependents(segment)
        if dependents:
            raise ValidationFailed(
                f"The segment {segment_id} still has {', '.join(dependents)}; "
                "delete it with forceDelete=true to remove them too.",
                resource_id=segment_id,
            )
    values = snapshot(segment)
    segments_changed(tenant=tenant, segment_pks=[segment.pk])
    segment.delete()
    if force:
        values["forceDelete"] = True
    record(
        tenant,
        [Change(DocumentType.SEGMENT, segment_id, AuditAction.DELETED, segment_id, values)],
    )
    return True
