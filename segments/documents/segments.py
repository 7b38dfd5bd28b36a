"""A segment as the API speaks it: validation of incoming documents and rendering of rows."""

from __future__ import annotations

from typing import Any

from segments_project.api.documents import (
    clean_datetime,
    clean_mixins,
    clean_object,
    format_datetime,
    invalid,
    render_metadata,
)
from segments_project.api.localization import (
    ALL_LANGUAGES,
    LanguagePreference,
    localize,
    localized_input,
)
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec

from ..models import Segment, SegmentStatus
from .criteria import clean_criteria

MAX_SITE_CODE_LENGTH = 64

# Members a segment document may carry; PATCH may only touch these.
DOCUMENT_FIELDS = frozenset(
    {
        "id",
        "name",
        "description",
        "validity",
        "status",
        "siteCode",
        "criteria",
        "mixins",
        "metadata",
    }
)

# Stored field -> the document member a consumer knows it by: how `segment.updated`
# events name the changed fields (`changedFields`).
SEGMENT_EVENT_FIELDS: dict[str, str] = {
    "name": "name",
    "description": "description",
    "site_code": "siteCode",
    "status": "status",
    "valid_from": "validity.from",
    "valid_to": "validity.to",
    "criteria": "criteria",
    "mixins": "mixins",
    "metadata_mixins": "metadata.mixins",
}

# `criteria` is not a q field: its members are q texts themselves, and which segments have
# a rule mentioning some field is not a question the list answers (the members are).
SEGMENT_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "siteCode": FieldSpec("site_code", FieldKind.STRING),
    "status": FieldSpec("status", FieldKind.ENUM, choices=tuple(SegmentStatus.values)),
    "name": FieldSpec("name", FieldKind.LOCALIZED),
    "description": FieldSpec("description", FieldKind.LOCALIZED),
    "validity.from": FieldSpec("valid_from", FieldKind.DATETIME),
    "validity.to": FieldSpec("valid_to", FieldKind.DATETIME),
    **METADATA_QUERY_FIELDS,
}


def segment_values(
    document: Any, *, content_language: str | None, current: Segment | None = None
) -> dict[str, Any]:
    """The model field values a segment document asks for, or a 400 naming the first problem.

    `current` is the stored segment on updates, so that a single-language write keeps the
    other languages.
    """
    if not isinstance(document, dict):
        raise invalid("body", "A segment must be a JSON object.")
    if "name" not in document or document["name"] in (None, {}, ""):
        raise invalid("name", "name is required.", type="required")
    name = localized_input(
        "name",
        document["name"],
        content_language=content_language,
        current=current.name if current else None,
    )
    if not any(text.strip() for text in name.values()):
        raise invalid("name", "name needs a text in at least one language.", type="required")
    description = (
        localized_input(
            "description",
            document["description"],
            content_language=content_language,
            current=current.description if current else None,
        )
        if document.get("description") is not None
        else {}
    )
    site_code = document.get("siteCode")
    if not isinstance(site_code, str) or not site_code.strip():
        raise invalid("siteCode", "siteCode is required.", type="required")
    if len(site_code) > MAX_SITE_CODE_LENGTH:
        raise invalid("siteCode", f"siteCode is longer than {MAX_SITE_CODE_LENGTH} characters.")
    status = document.get("status") or SegmentStatus.INACTIVE
    if status not in SegmentStatus.values:
        raise invalid("status", "status must be ACTIVE or INACTIVE.")
    validity = clean_object(document.get("validity"), "validity")
    valid_from = clean_datetime(validity.get("from"), "validity.from")
    valid_to = clean_datetime(validity.get("to"), "validity.to")
    if valid_from and valid_to and valid_from > valid_to:
        raise invalid("validity", "validity.from must not be after validity.to.")
    criteria = clean_criteria(document.get("criteria"))
    mixins, metadata_mixins = clean_mixins(document)
    return {
        "name": name,
        "description": description,
        "site_code": site_code,
        "status": status,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "criteria": criteria,
        "mixins": mixins,
        "metadata_mixins": metadata_mixins,
    }


def segment_document(
    segment: Segment, languages: LanguagePreference = ALL_LANGUAGES
) -> dict[str, Any]:
    """The segment as the API returns it."""
    document: dict[str, Any] = {
        "id": segment.public_id,
        "name": localize(segment.name, languages),
        "status": segment.status,
        "siteCode": segment.site_code,
    }
    description = localize(segment.description, languages)
    if description:
        document["description"] = description
    if segment.valid_from or segment.valid_to:
        document["validity"] = {
            key: format_datetime(value)
            for key, value in (("from", segment.valid_from), ("to", segment.valid_to))
            if value is not None
        }
    if segment.criteria:
        document["criteria"] = segment.criteria
    if segment.mixins:
        document["mixins"] = segment.mixins
    document["metadata"] = render_metadata(segment)
    return document
