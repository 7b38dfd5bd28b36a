"""A product as the API speaks it: validation of incoming documents and rendering of rows."""

from __future__ import annotations

from typing import Any

from segments_project.api.documents import clean_mixins, invalid, render_metadata
from segments_project.api.localization import (
    ALL_LANGUAGES,
    LanguagePreference,
    localize,
    localized_input,
)
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec

from ..models import Product

MAX_CODE_LENGTH = 128

# Members a product document may carry; PATCH may only touch these.
DOCUMENT_FIELDS = frozenset({"id", "code", "name", "published", "mixins", "metadata"})

PRODUCT_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "code": FieldSpec("code", FieldKind.STRING),
    "name": FieldSpec("name", FieldKind.LOCALIZED),
    "published": FieldSpec("published", FieldKind.BOOLEAN),
    **METADATA_QUERY_FIELDS,
}


def product_values(
    document: Any, *, content_language: str | None, current: Product | None = None
) -> dict[str, Any]:
    """The model field values a product document asks for, or a 400 naming the first problem.

    `current` is the stored product on updates, so that a single-language write keeps the
    other languages. Absent optional members take their defaults (no code, published).
    """
    if not isinstance(document, dict):
        raise invalid("body", "A product must be a JSON object.")
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
    code = document.get("code")
    if code is None:
        code = ""
    if not isinstance(code, str):
        raise invalid("code", "code must be a string.")
    if len(code) > MAX_CODE_LENGTH:
        raise invalid("code", f"code is longer than {MAX_CODE_LENGTH} characters.")
    published = document.get("published")
    if published is None:
        published = True
    if not isinstance(published, bool):
        raise invalid("published", "published must be true or false.")
    mixins, metadata_mixins = clean_mixins(document)
    return {
        "code": code,
        "name": name,
        "published": published,
        "mixins": mixins,
        "metadata_mixins": metadata_mixins,
    }


def product_document(
    product: Product, languages: LanguagePreference = ALL_LANGUAGES
) -> dict[str, Any]:
    """The product as the API returns it."""
    document: dict[str, Any] = {"id": product.public_id}
    if product.code:
        document["code"] = product.code
    document["name"] = localize(product.name, languages)
    document["published"] = product.published
    if product.mixins:
        document["mixins"] = product.mixins
    document["metadata"] = render_metadata(product)
    return document
