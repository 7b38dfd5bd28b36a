"""Reads of the catalog, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from segments_project.errors import NotFound

from .models import Category, Product


def category_get(*, tenant: str, category_id: str, show_unpublished: bool = True) -> Category:
    """The category, or NotFound whether it is missing, of another tenant or hidden.

    With `show_unpublished=False` an unpublished category counts as missing.
    """
    queryset = Category.objects.for_tenant(tenant)
    if not show_unpublished:
        queryset = queryset.published()
    category = queryset.filter(public_id=category_id).first()
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


def products_of_tenant(*, tenant: str) -> QuerySet[Product]:
    """Every product of the tenant, ready to filter, sort and render (no joins needed)."""
    return Product.objects.filter(tenant_id=tenant)
