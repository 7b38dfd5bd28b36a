"""Reads of products, always scoped to one tenant."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from segments_project.errors import NotFound

from ..models import Product


def product_get(*, tenant: str, product_id: str, show_unpublished: bool) -> Product:
    """The product, or NotFound whether it is missing, of another tenant or, without
    `show_unpublished`, unpublished: the answers cannot be told apart."""
    product = (
        Product.objects.for_tenant(tenant)
        .visible(show_unpublished=show_unpublished)
        .filter(public_id=product_id)
        .first()
    )
    if product is None:
        raise NotFound(
            f"The product with id {product_id} has not been found.", resource_id=product_id
        )
    return product


def products_of_tenant(*, tenant: str, show_unpublished: bool) -> QuerySet[Product]:
    """The tenant's products the reader sees, ready to filter, sort and render (no joins
    needed); unpublished ones only with `show_unpublished`."""
    return Product.objects.for_tenant(tenant).visible(show_unpublished=show_unpublished)


def product_pks_by_code(*, tenant: str, codes: Iterable[str]) -> dict[str, list[int]]:
    """Code (SKU) -> surrogate ids of the tenant's products with that code, in one query
    (a code is not unique: a code that names several products maps to all of them)."""
    wanted = set(codes)
    found: dict[str, list[int]] = {}
    if not wanted:
        return found
    rows = Product.objects.for_tenant(tenant).filter(code__in=wanted).order_by("pk")
    for code, pk in rows.values_list("code", "pk"):
        found.setdefault(code, []).append(pk)
    return found
