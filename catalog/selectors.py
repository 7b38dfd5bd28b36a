"""Reads of the catalog, always scoped to one tenant."""

from __future__ import annotations

from segments_project.errors import NotFound

from .models import Category, Product


def category_get(*, tenant: str, category_id: str) -> Category:
    """The category, or NotFound whether it is missing or belongs to another tenant."""
    category = Category.objects.for_tenant(tenant).filter(public_id=category_id).first()
    if category is None:
        raise NotFound(
            f"The category with id {category_id} has not been found.", resource_id=category_id
        )
    return category


def product_get(*, tenant: str, product_id: str) -> Product:
    """The product, or NotFound whether it is missing or belongs to another tenant."""
    product = Product.objects.filter(tenant_id=tenant, public_id=product_id).first()
    if product is None:
        raise NotFound(
            f"The product with id {product_id} has not been found.", resource_id=product_id
        )
    return product
