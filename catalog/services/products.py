"""Writes of products. The API, the admin and the imports come through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from segments_project import versioned
from segments_project.writes import Upserted

from ..documents.products import DOCUMENT_FIELDS, product_document, product_values
from ..hooks import ROWS_DELETING, STOREFRONT_CHANGED
from ..models import Product

PRODUCT = versioned.DocumentKind(
    model=Product,
    label="product",
    values=product_values,
    render=product_document,
    document_fields=DOCUMENT_FIELDS,
    localized_fields=(("name", "name"),),
    # The answers of the segments holding the product (none for a new one) show it.
    on_content_change=lambda product, created: STOREFRONT_CHANGED(
        product.tenant_id, products=[product.pk]
    ),
)


@transaction.atomic
def product_create(
    *, tenant: str, document: dict[str, Any], content_language: str | None = None
) -> Product:
    """Creates a product with the document's id or a generated one; 409 if the id is taken."""
    return versioned.document_create(
        PRODUCT, tenant=tenant, document=document, content_language=content_language
    )


@transaction.atomic
def product_upsert(
    *,
    tenant: str,
    product_id: str,
    document: dict[str, Any],
    content_language: str | None = None,
) -> tuple[Product, bool]:
    """Replaces the product or creates it; returns it and whether it was created.

    A stale `metadata.version` is a 409 and changes nothing.
    """
    return versioned.document_upsert(
        PRODUCT,
        tenant=tenant,
        public_id=product_id,
        document=document,
        content_language=content_language,
    )


@transaction.atomic
def products_upsert_many(
    *, tenant: str, rows: Sequence[versioned.DocumentRow], now: datetime | None = None
) -> Upserted:
    """Replaces or creates many products by id at once, set-based (the imports): the rules
    of `product_upsert`, see `versioned.documents_upsert_many`. The caller marks the
    tenant's content changed."""
    return versioned.documents_upsert_settled(PRODUCT, tenant=tenant, rows=rows, now=now)


@transaction.atomic
def product_patch(
    *, tenant: str, product_id: str, patch: Any, content_language: str | None = None
) -> Product:
    """Applies a JSON Patch or merge patch; the result must be a valid product."""
    return versioned.document_patch(
        PRODUCT, tenant=tenant, public_id=product_id, patch=patch, content_language=content_language
    )


@transaction.atomic
def product_delete(*, tenant: str, product_id: str) -> bool:
    """Deletes the product and its category assignments; False if it did not exist."""
    product = versioned.locked(PRODUCT, tenant, product_id)
    if product is None:
        return False
    for hook in ROWS_DELETING:
        hook(model=Product, tenant=tenant, pks=[product.pk])
    STOREFRONT_CHANGED(tenant, products=[product.pk], product_categories=[product.pk])
    product.delete()
    return True
