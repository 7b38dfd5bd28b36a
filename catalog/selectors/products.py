"""Reads of products, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from segments_project.errors import NotFound

from ..models import Product


def product_get(*, tenant: str, product_id: str) -> Product:
    """The product, or NotFound whether it is missing or belongs to another tenant."""
    product = Product.objects.filter(tenant_id=tenant, public_id=product_id).first()
    if product is None:
        raise NotFound(
            f"The product with id {product_id} has not been found.", resource_id=product_id
        )
    return product


def products_of_tenant(*, tenant: str) -> QuerySet[Product]:
    """Every product of the tenant, ready to filter, sort and render (no joins needed)."""
    return Product.objects.filter(tenant_id=tenant)
