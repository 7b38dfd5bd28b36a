"""Writes of segments. The API, the admin and the imports all come through here."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from segments_project.api.documents import check_version, clean_id, generate_id, requested_version
from segments_project.api.patch import apply_patch
from segments_project.errors import AlreadyExists, NotFound, ValidationFailed, field_error

from .documents import DOCUMENT_FIELDS, segment_document, segment_values
from .models import Segment


def _locked(tenant: str, segment_id: str) -> Segment | None:
    return (
        Segment.objects.select_for_update().filter(tenant_id=tenant, public_id=segment_id).first()
    )


def _insert(tenant: str, segment_id: str, values: dict[str, Any]) -> Segment:
    now = timezone.now()
    segment = Segment(
        tenant_id=tenant, public_id=segment_id, version=1, created_at=now, modified_at=now, **values
    )
    try:
        with transaction.atomic():
            segment.save(force_insert=True)
    except IntegrityError as exc:
        raise AlreadyExists(
            f"A segment with id {segment_id} already exists.", resource_id=segment_id
        ) from exc
    return segment


def _update(segment: Segment, values: dict[str, Any]) -> Segment:
    changed = [field for field, value in values.items() if getattr(segment, field) != value]
    if not changed:
        return segment
    for field in changed:
        setattr(segment, field, values[field])
    segment.version += 1
    segment.modified_at = timezone.now()
    segment.save(update_fields=[*changed, "version", "modified_at"])
    return segment


@transaction.atomic
def segment_create(
    *, tenant: str, document: dict[str, Any], content_language: str | None = None
) -> Segment:
    """Creates a segment with the document's id or a generated one; 409 if the id is taken."""
    values = segment_values(document, content_language=content_language)
    segment_id = clean_id(document["id"]) if document.get("id") is not None else generate_id()
    return _insert(tenant, segment_id, values)


@transaction.atomic
def segment_upsert(
    *,
    tenant: str,
    segment_id: str,
    document: dict[str, Any],
    content_language: str | None = None,
) -> tuple[Segment, bool]:
    """Replaces the segment or creates it; returns it and whether it was created.

    A stale `metadata.version` is a 409 and changes nothing. The row is locked while it
    is compared and written, so two writers holding the same version cannot both succeed.
    """
    clean_id(segment_id)
    if isinstance(document, dict) and document.get("id") not in (None, segment_id):
        raise field_error("id", "The id in the body differs from the id in the path.")
    current = _locked(tenant, segment_id)
    values = segment_values(document, content_language=content_language, current=current)
    if current is None:
        try:
            return _insert(tenant, segment_id, values), True
        except AlreadyExists:
            # Another writer created it since our read; update what they created.
            current = _locked(tenant, segment_id)
            if current is None:
                raise
    check_version(
        current=current.version, requested=requested_version(document), resource_id=segment_id
    )
    return _update(current, values), False


@transaction.atomic
def segment_patch(
    *, tenant: str, segment_id: str, patch: Any, content_language: str | None = None
) -> Segment:
    """Applies a JSON Patch or merge patch; the result must be a valid segment."""
    current = _locked(tenant, segment_id)
    if current is None:
        raise NotFound(
            f"The segment with id {segment_id} has not been found.", resource_id=segment_id
        )
    document = apply_patch(segment_document(current), patch)
    unknown = set(document) - DOCUMENT_FIELDS
    if unknown:
        raise field_error(sorted(unknown)[0], f"Unknown segment field: {sorted(unknown)[0]}.")
    if document.get("id") != segment_id:
        raise field_error("id", "The id of a segment cannot be changed.")
    check_version(
        current=current.version, requested=requested_version(document), resource_id=segment_id
    )
    # The patched document holds every language already, so it is applied as maps.
    values = segment_values(document, content_language=None, current=current)
    return _update(current, values)


def _dependents(segment: Segment) -> list[str]:
    """Names of the kinds of assignments that still point at the segment."""
    found = []
    for relation in Segment._meta.related_objects:
        accessor = relation.get_accessor_name()
        if accessor and getattr(segment, accessor).exists():
            found.append(relation.related_model._meta.verbose_name_plural)
    return found


@transaction.atomic
def segment_delete(*, tenant: str, segment_id: str, force: bool = False) -> bool:
    """Deletes the segment (and with `force`, its assignments); False if it did not exist.

    Without `force`, a segment that still has assignments is a 400 and stays.
    """
    segment = _locked(tenant, segment_id)
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
    segment.delete()
    return True
