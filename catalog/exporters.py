"""The export kinds the catalog owns (`categories`, `products`, `product-categories`),
registered in `segments_project.imports.kinds` by `CatalogConfig.ready()`. Each writes
the rows its import reads (see `segments_project.imports.exporters`)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from segments_project.imports.exporters import Exporter, write_shape

from .documents.categories import category_document
from .documents.products import product_document
from .models import Category, CategoryAssignment, Product


def _category(category: Category) -> dict[str, Any]:
    document = category_document(category, parent_public_id=category.parent_public_id)
    document.pop("media", None)
    if not document.get("validity"):
        document.pop("validity", None)
    return write_shape(document)


KINDS: tuple[Exporter, ...] = (
    Exporter(
        kind="categories",
        rows=lambda tenant: (
            Category.objects.filter(tenant_id=tenant)
            .annotate(parent_public_id=F("parent__public_id"))
            .order_by("depth", "public_id")
        ),
        render=_category,
        localized=(
            ("localizedName", "name"),
            ("localizedDescription", "description"),
            ("localizedSlug", "slug"),
        ),
    ),
    Exporter(
        kind="products",
        rows=lambda tenant: Product.objects.filter(tenant_id=tenant).order_by("public_id"),
        render=lambda product: write_shape(product_document(product)),
        localized=(("name", "name"),),
    ),
    Exporter(
        kind="product-categories",
        rows=lambda tenant: (
            CategoryAssignment.objects.filter(tenant_id=tenant)
            .order_by("category__public_id", "product__public_id")
            .values_list("product__public_id", "category__public_id")
        ),
        render=lambda row: {"productId": row[0], "categoryId": row[1]},
    ),
)
