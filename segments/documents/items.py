"""Item assignments as the API speaks them: item types, write documents, rendering, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segments_project.api.bulk import BulkEntry
from segments_project.api.documents import (
    clean_id,
    clean_mixins,
    invalid,
    render_metadata,
    requested_version,
)
from segments_project.api.localization import ALL_LANGUAGES, LanguagePreference, localize
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec
from segments_project.errors import ApplicationError, ErrorDetail, ValidationFailed

from ..models import ItemType, SegmentItemAssignment

# Annotations the item selector adds, so that `q` and `sort` can address the item whatever
# its type (exactly one of product and category is set on a row).
ITEM_ID = "item_ref_id"
ITEM_CODE = "item_ref_code"
ITEM_NAME = "item_ref_name"

ITEM_ASSIGNMENT_QUERY_FIELDS: dict[str, FieldSpec] = {
    "type": FieldSpec("item_type", FieldKind.ENUM, choices=tuple(ItemType.values)),
    "segmentId": FieldSpec("segment__public_id", FieldKind.STRING),
    "item.id": FieldSpec(ITEM_ID, FieldKind.STRING),
    "item.code": FieldSpec(ITEM_CODE, FieldKind.STRING),
    "item.name": FieldSpec(ITEM_NAME, FieldKind.LOCALIZED),
    **METADATA_QUERY_FIELDS,
}


def clean_item_type(value: Any, field: str = "type") -> ItemType:
    """PRODUCT or CATEGORY, however it is capitalized; anything else is a 400."""
    if isinstance(value, str) and value.strip().upper() in ItemType.values:
        return ItemType(value.strip().upper())
    raise invalid(field, f"{field} must be PRODUCT or CATEGORY.")


@dataclass(frozen=True)
class ItemWrite:
    """One validated item assignment write: the item, the values to store, the base version."""

    item_id: str
    values: dict[str, Any]
    version: int | None


def item_assignment_write(item_id: str, document: Any) -> ItemWrite:
    """The write `{mixins?, metadata?: {version?, mixins?}}` asks for, or a 400 naming the field.

    An absent body counts as an empty document: the assignment without custom data.
    """
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise invalid("body", "An item assignment must be a JSON object.")
    mixins, metadata_mixins = clean_mixins(document)
    return ItemWrite(
        item_id=clean_id(item_id, "itemId"),
        values={"mixins": mixins, "metadata_mixins": metadata_mixins},
        version=requested_version(document),
    )


def bulk_item_write(element: Any) -> ItemWrite:
    """An element `{id, mixins?, metadata?}` of a bulk upsert, or a 400 naming the field."""
    if not isinstance(element, dict):
        raise invalid("body", "An item assignment must be a JSON object with an id.")
    if element.get("id") in (None, ""):
        raise invalid("id", "id is required.", type="required")
    return item_assignment_write(clean_id(element["id"]), element)


def unknown_item(item_type: str, item_id: str) -> ValidationFailed:
    label = "product" if item_type == ItemType.PRODUCT else "category"
    message = f"The {label} with id {item_id} has not been found."
    return ValidationFailed(
        message, resource_id=item_id, details=[ErrorDetail("id", "not_found", message)]
    )


def item_assignment_document(
    assignment: SegmentItemAssignment, languages: LanguagePreference = ALL_LANGUAGES
) -> dict[str, Any]:
    """The assignment as the API returns it.

    Needs `segment` and the item (`product` or `category`) loaded with the assignment;
    the selectors join them.
    """
    item = assignment.product if assignment.item_type == ItemType.PRODUCT else assignment.category
    rendered: dict[str, Any] = {"id": item.public_id}
    if item.code:
        rendered["code"] = item.code
    rendered["name"] = localize(item.name, languages)
    document: dict[str, Any] = {
        "segmentId": assignment.segment.public_id,
        "type": assignment.item_type,
        "item": rendered,
    }
    if assignment.mixins:
        document["mixins"] = assignment.mixins
    document["metadata"] = render_metadata(assignment)
    return document


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one element of a bulk request (or of a single write)."""

    item_id: str | None
    code: int
    error: ApplicationError | None = None

    @classmethod
    def failed(cls, error: ApplicationError, item_id: str | None = None) -> ItemOutcome:
        return cls(item_id=item_id or error.resource_id, code=int(error.status_code), error=error)

    def as_entry(self, index: int) -> dict[str, Any]:
        """The element's entry in a 207 answer."""
        message = None
        if self.error is not None:
            message = self.error.message
            details = "; ".join(
                f"{detail.field}: {detail.message}"
                for detail in self.error.details
                if detail.message not in message
            )
            if details:
                message = f"{message} ({details})"
        return BulkEntry(index=index, code=self.code, id=self.item_id, message=message).as_dict()
