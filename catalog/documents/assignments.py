"""Products in categories as the API speaks them: reading references, rendering assignments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segments_project.api.bulk import status_text
from segments_project.api.documents import clean_id, format_datetime, invalid
from segments_project.api.localization import ALL_LANGUAGES, LanguagePreference, localize
from segments_project.api.query import FieldKind, FieldSpec
from segments_project.errors import ApplicationError

from ..models import Category, CategoryAssignment
from .categories import category_document

#: The only kind of resource that can be placed in a category.
PRODUCT = "PRODUCT"

#: Fields the `sort` parameter of an assignment list may name.
ASSIGNMENT_SORT_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "categoryId": FieldSpec("category__public_id", FieldKind.STRING),
    "ref.id": FieldSpec("product__public_id", FieldKind.STRING),
    "ref.localizedName": FieldSpec("product__name", FieldKind.LOCALIZED),
    "metadata.createdAt": FieldSpec("created_at", FieldKind.DATETIME),
    "metadata.modifiedAt": FieldSpec("modified_at", FieldKind.DATETIME),
}


def clean_assignment_type(value: Any, field: str = "ref.type") -> str:
    """PRODUCT, however it is capitalized; anything else is a 400."""
    if not isinstance(value, str) or value.strip().upper() != PRODUCT:
        raise invalid(field, f"{field} must be PRODUCT, the only type that can be assigned.")
    return PRODUCT


def referenced_product_id(document: Any, *, type_required: bool = True) -> str:
    """The product id of an assignment request `{"ref": {"id": ..., "type": "PRODUCT"}}`.

    Upserts name only the id, so `type_required=False` lets `ref.type` be left out (when
    it is given it must still be PRODUCT). Raises a 400 naming the first problem.
    """
    if not isinstance(document, dict):
        raise invalid("body", "An assignment must be a JSON object with a ref member.")
    ref = document.get("ref")
    if not isinstance(ref, dict):
        raise invalid("ref", "ref is required and must be an object.", type="required")
    if ref.get("id") in (None, ""):
        raise invalid("ref.id", "ref.id is required.", type="required")
    product_id = clean_id(ref["id"], "ref.id")
    if ref.get("type") is None:
        if type_required:
            raise invalid("ref.type", "ref.type is required.", type="required")
    else:
        clean_assignment_type(ref["type"])
    return product_id


def product_id_filter(values: list[str]) -> list[str] | None:
    """The product ids of `ref.id` parameters (each may be a comma-separated list)."""
    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    for product_id in ids:
        clean_id(product_id, "ref.id")
    return ids or None


def assignment_document(
    assignment: CategoryAssignment, languages: LanguagePreference = ALL_LANGUAGES
) -> dict[str, Any]:
    """An assignment as the list of a category's assignments returns it.

    Needs `category` and `product` loaded with the assignment (the selector joins them).
    """
    return {
        "id": assignment.public_id,
        "categoryId": assignment.category.public_id,
        "ref": {
            "id": assignment.product.public_id,
            "type": PRODUCT,
            "localizedName": localize(assignment.product.name, languages),
        },
        "metadata": {
            "createdAt": format_datetime(assignment.created_at),
            "modifiedAt": format_datetime(assignment.modified_at),
        },
    }


def assigned_category_document(
    category: Category,
    languages: LanguagePreference = ALL_LANGUAGES,
    *,
    supercategory_ids: list[str] | None = None,
) -> dict[str, Any]:
    """A category a product is in: the Category document, with `supercategoriesIds` if given.

    Needs `parent` loaded with the category.
    """
    document = category_document(
        category, languages, parent_public_id=category.parent.public_id if category.parent else None
    )
    if supercategory_ids is not None:
        document["supercategoriesIds"] = supercategory_ids
    return document


@dataclass(frozen=True)
class AssignmentOutcome:
    """What became of one element of a bulk assignment request."""

    product_id: str | None
    assignment_id: str | None = None
    created: bool = False
    error: ApplicationError | None = None

    @property
    def code(self) -> int:
        if self.error is not None:
            return int(self.error.status_code)
        return 201 if self.created else 204

    def as_entry(self, index: int) -> dict[str, Any]:
        """The element's entry in a 207 answer (the vendor's BulkAssignmentResponse item)."""
        entry: dict[str, Any] = {"index": index}
        if self.assignment_id is not None:
            entry["assignmentId"] = self.assignment_id
        if self.product_id is not None:
            entry["productId"] = self.product_id
        entry["code"] = self.code
        entry["status"] = status_text(self.code)
        if self.error is not None:
            entry["message"] = self.error.message
        return entry
