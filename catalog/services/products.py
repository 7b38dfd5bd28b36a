"""Writes of products. The API, the admin and the imports all come through here."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from segments_project.api.documents import check_version, clean_id, generate_id, requested_version
from segments_project.api.patch import apply_patch
from segments_project.errors import AlreadyExists, NotFound, field_error

from ..documents.products import DOCUMENT_FIELDS, product_document, product_values
from ..models import Product


def _locked(tenant: str, product_id: str) -> Product | None:
    return (
        Product.objects.select_for_update().filter(tenant_id=tenant, public_id=product_id).first()
    )


def _insert(tenant: str, product_id: str, values: dict[str, Any]) -> Product:
    now = timezone.now()
    product = Product(
        tenant_id=tenant, public_id=product_id, version=1, created_at=now, modified_at=now, **values
    )
    try:
        with transaction.atomic():
            product.save(force_insert=True)
    except IntegrityError as exc:
        raise AlreadyExists(
            f"A product with id {product_id} already exists.", resource_id=product_id
        ) from exc
    return product


def _update(product: Product, values: dict[str, Any]) -> Product:
    """Writes only the changed fields; a write that changes nothing keeps the version."""
    changed = [field for field, value in values.items() if getattr(product, field) != value]
    if not changed:
        return product
    for field in changed:
        setattr(product, field, values[field])
    product.version += 1
    product.modified_at = timezone.now()
    product.save(update_fields=[*changed, "version", "modified_at"])
    return product


@transaction.atomic
def product_create(
    *, tenant: str, document: dict[str, Any], content_language: str | None = None
) -> Product:
    """Creates a product with the document's id or a generated one; 409 if the id is taken."""
    values = product_values(document, content_language=content_language)
    product_id = clean_id(document["id"]) if document.get("id") is not None else generate_id()
    return _insert(tenant, product_id, values)


@transaction.atomic
def product_upsert(
    *,
    tenant: str,
    product_id: str,
    document: dict[str, Any],
    content_language: str | None = None,
) -> tuple[Product, bool]:
    """Replaces the product or creates it; returns it and whether it was created.

    A stale `metadata.version` is a 409 and changes nothing. The row is locked while it
    is compared and written, so two writers holding the same version cannot both succeed.
    """
    clean_id(product_id)
    if isinstance(document, dict) and document.get("id") not in (None, product_id):
        raise field_error("id", "The id in the body differs from the id in the path.")
    current = _locked(tenant, product_id)
    values = product_values(document, content_language=content_language, current=current)
    if current is None:
        try:
            return _insert(tenant, product_id, values), True
        except AlreadyExists:
            # Another writer created it since our read; update what they created.
            current = _locked(tenant, product_id)
            if current is None:
                raise
    check_version(
        current=current.version, requested=requested_version(document), resource_id=product_id
    )
    return _update(current, values), False


@transaction.atomic
def product_patch(
    *, tenant: str, product_id: str, patch: Any, content_language: str | None = None
) -> Product:
    """Applies a JSON Patch or merge patch; the result must be a valid product.

    The patched document holds every language already, so its name is applied as a map;
    only a name the patch turned into a plain string is read in `content_language`.
    """
    current = _locked(tenant, product_id)
    if current is None:
        raise NotFound(
            f"The product with id {product_id} has not been found.", resource_id=product_id
        )
    document = apply_patch(product_document(current), patch)
    unknown = set(document) - DOCUMENT_FIELDS
    if unknown:
        raise field_error(sorted(unknown)[0], f"Unknown product field: {sorted(unknown)[0]}.")
    if document.get("id") != product_id:
        raise field_error("id", "The id of a product cannot be changed.")
    check_version(
        current=current.version, requested=requested_version(document), resource_id=product_id
    )
    language = content_language if isinstance(document.get("name"), str) else None
    values = product_values(document, content_language=language, current=current)
    return _update(current, values)


@transaction.atomic
def product_delete(*, tenant: str, product_id: str) -> bool:
    """Deletes the product and its category assignments; False if it did not exist."""
    product = _locked(tenant, product_id)
    if product is None:
        return False
    product.delete()
    return True
