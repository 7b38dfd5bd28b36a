"""A category as the API speaks it: validation of incoming documents and rendering of rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from segments_project.api.documents import (
    READ_ONLY_PATHS,
    clean_datetime,
    clean_id,
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

from ..models import Category

MAX_CODE_LENGTH = 128
MAX_ECN_ENTRIES = 100

DOCUMENT_FIELDS = frozenset(
    {
        "id",
        "parentId",
        "localizedName",
        "localizedDescription",
        "localizedSlug",
        "code",
        "ecn",
        "validity",
        "position",
        "published",
        "mixins",
        "metadata",
        "media",
    }
)

# `media` is always rendered empty: media are not managed through categories here.
CATEGORY_READ_ONLY_PATHS = READ_ONLY_PATHS | {"/media"}

CATEGORY_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "code": FieldSpec("code", FieldKind.STRING),
    "parentId": FieldSpec("parent__public_id", FieldKind.STRING),
    "localizedName": FieldSpec("name", FieldKind.LOCALIZED),
    "localizedDescription": FieldSpec("description", FieldKind.LOCALIZED),
    "localizedSlug": FieldSpec("slug", FieldKind.LOCALIZED),
    "position": FieldSpec("position", FieldKind.INTEGER),
    "published": FieldSpec("published", FieldKind.BOOLEAN),
    "validity.from": FieldSpec("valid_from", FieldKind.DATETIME),
    "validity.to": FieldSpec("valid_to", FieldKind.DATETIME),
    **METADATA_QUERY_FIELDS,
}


def _localized(
    document: dict[str, Any], field: str, content_language: str | None, current: dict | None
) -> dict[str, str]:
    if document.get(field) is None:
        return {}
    return localized_input(
        field, document[field], content_language=content_language, current=current
    )


def _clean_name(
    document: dict[str, Any], content_language: str | None, current: Category | None
) -> dict[str, str]:
    if document.get("localizedName") in (None, {}, ""):
        raise invalid("localizedName", "localizedName is required.", type="required")
    name = _localized(document, "localizedName", content_language, current and current.name)
    if not any(text.strip() for text in name.values()):
        raise invalid("localizedName", "localizedName needs a text in one language.", "required")
    return name


def _clean_code(document: dict[str, Any]) -> str | None:
    code = document.get("code")
    if code is not None and (not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_LENGTH):
        raise invalid("code", f"code must be a string of 1 to {MAX_CODE_LENGTH} characters.")
    return code


def _clean_ecn(document: dict[str, Any]) -> list[str]:
    ecn = document.get("ecn") or []
    if not isinstance(ecn, list) or len(ecn) > MAX_ECN_ENTRIES:
        raise invalid("ecn", f"ecn must be a list of at most {MAX_ECN_ENTRIES} strings.")
    if not all(isinstance(entry, str) and entry for entry in ecn):
        raise invalid("ecn", "Every ecn entry must be a non-empty string.")
    return ecn


def _clean_position(document: dict[str, Any]) -> int | None:
    position = document.get("position")
    if position is not None and (
        isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 2**31
    ):
        raise invalid("position", "position must be a whole number of at least 0.")
    return position


def _clean_published(document: dict[str, Any]) -> bool:
    published = document.get("published", False)
    if not isinstance(published, bool):
        raise invalid("published", "published must be true or false.")
    return published


def _clean_validity(document: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    validity = clean_object(document.get("validity"), "validity")
    valid_from = clean_datetime(validity.get("from"), "validity.from")
    valid_to = clean_datetime(validity.get("to"), "validity.to")
    if valid_from and valid_to and valid_from > valid_to:
        raise invalid("validity", "validity.from must not be after validity.to.")
    return valid_from, valid_to


def _clean_parent_id(document: dict[str, Any]) -> str | None:
    parent_id = document.get("parentId")
    return clean_id(parent_id, "parentId") if parent_id is not None else None


def category_values(
    document: Any, *, content_language: str | None, current: Category | None = None
) -> dict[str, Any]:
    """Model field values a category document asks for (without the parent), or a 400.

    The parent is resolved by the service, which needs the tenant's tree; the requested
    parent id is returned under `parent_id` (None for a root). The members are checked in
    this order and the first error is the one reported.
    """
    if not isinstance(document, dict):
        raise invalid("body", "A category must be a JSON object.")
    name = _clean_name(document, content_language, current)
    code = _clean_code(document)
    ecn = _clean_ecn(document)
    position = _clean_position(document)
    published = _clean_published(document)
    valid_from, valid_to = _clean_validity(document)
    parent_id = _clean_parent_id(document)
    mixins, metadata_mixins = clean_mixins(document)
    return {
        "parent_id": parent_id,
        "name": name,
        "description": _localized(
            document, "localizedDescription", content_language, current and current.description
        ),
        "slug": _localized(document, "localizedSlug", content_language, current and current.slug),
        "code": code,
        "ecn": ecn,
        "position": position,
        "published": published,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "mixins": mixins,
        "metadata_mixins": metadata_mixins,
    }


class CategoryFields(Protocol):
    """What a category node shows: a Category, or a lighter row with the same fields."""

    public_id: str
    name: dict[str, str]
    description: dict[str, str]
    slug: dict[str, str]
    code: str | None
    ecn: list[str]
    position: int
    published: bool
    valid_from: datetime | None
    valid_to: datetime | None


def _validity(category: CategoryFields) -> dict[str, str]:
    return {
        key: format_datetime(value)
        for key, value in (("from", category.valid_from), ("to", category.valid_to))
        if value is not None
    }


def category_node(
    category: CategoryFields, languages: LanguagePreference, parent_public_id: str | None
) -> dict[str, Any]:
    """The fields a category shows in lists, trees and single reads."""
    node: dict[str, Any] = {
        "id": category.public_id,
        "localizedName": localize(category.name, languages),
        "position": category.position,
        "published": category.published,
    }
    if parent_public_id is not None:
        node["parentId"] = parent_public_id
    if category.code is not None:
        node["code"] = category.code
    for member, value in (
        ("localizedDescription", category.description),
        ("localizedSlug", category.slug),
    ):
        localized = localize(value, languages)
        if localized:
            node[member] = localized
    if category.ecn:
        node["ecn"] = list(category.ecn)
    node["validity"] = _validity(category)
    return node


def category_document(
    category: Category,
    languages: LanguagePreference = ALL_LANGUAGES,
    *,
    parent_public_id: str | None = None,
) -> dict[str, Any]:
    """The category as the Category resource returns it."""
    document = category_node(category, languages, parent_public_id)
    if category.mixins:
        document["mixins"] = category.mixins
    document["media"] = []
    document["metadata"] = render_metadata(category)
    return document


def deprecated_tree_node(node: dict[str, Any]) -> dict[str, Any]:
    """A node of `category_forest` in the vendor's deprecated tree shape: `name` and
    `description` as plain texts in the best language, no validity, nested the same way."""
    deprecated: dict[str, Any] = {"id": node["id"], "name": node["name"]}
    for member in ("code", "parentId", "ecn"):
        if member in node:
            deprecated[member] = node[member]
    description = next(iter(node.get("localizedDescription", {}).values()), None)
    if description is not None:
        deprecated["description"] = description
    deprecated["position"] = node["position"]
    deprecated["published"] = node["published"]
    deprecated["subcategories"] = [deprecated_tree_node(child) for child in node["subcategories"]]
    return deprecated
