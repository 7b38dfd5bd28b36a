"""Reads of products in categories, always scoped to one tenant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.lookups import StartsWith

from ..hooks import SEGMENT_CATEGORIES
from ..models import Category, CategoryAssignment, Product


def category_assignments(
    *,
    tenant: str,
    category: Category,
    with_subcategories: bool = False,
    show_unpublished: bool = False,
    hide_unpublished_products: bool = False,
    product_ids: Iterable[str] | None = None,
    segment_ids: list[str] | None = None,
) -> QuerySet[CategoryAssignment]:
    """Assignments of the category (and with `with_subcategories`, of all its descendants).

    With `segment_ids`, only assignments whose category is assigned to one of those
    segments, itself or through an ancestor.

    Without `show_unpublished`, assignments in a category that is unpublished or has an
    unpublished ancestor are left out; `hide_unpublished_products` leaves out unpublished
    products; `product_ids` keeps only those products. Category and product come joined,
    so rendering a page costs no further query; the result is a queryset, for further
    filters, sorting and paging.
    """
    assignments = CategoryAssignment.objects.filter(tenant_id=tenant).select_related(
        "category", "product"
    )
    if with_subcategories:
        assignments = assignments.filter(
            category__tenant_id=tenant, category__path__startswith=category.path
        )
    else:
        assignments = assignments.filter(category=category)
    if not show_unpublished:
        assignments = assignments.filter(
            ~Category.objects.hidden_by_unpublished(tenant, "category__path")
        )
    if hide_unpublished_products:
        assignments = assignments.filter(product__published=True)
    if product_ids is not None:
        assignments = assignments.filter(
            product__tenant_id=tenant, product__public_id__in=list(product_ids)
        )
    if segment_ids is not None:
        held = SEGMENT_CATEGORIES(tenant, segment_ids)
        assignments = assignments.filter(
            Exists(held.filter(StartsWith(OuterRef("category__path"), F("path"))))
        )
    return assignments


def categories_of_product(
    *,
    tenant: str,
    product_id: str,
    show_unpublished: bool = False,
    show_unpublished_product: bool = True,
) -> QuerySet[Category]:
    """The categories the product is assigned to, each with its parent joined.

    Without `show_unpublished`, categories that are unpublished or lie under an
    unpublished ancestor are left out. An unknown product is simply in no category, and
    so, without `show_unpublished_product`, is an unpublished one.
    """
    products = Product.objects.for_tenant(tenant).visible(show_unpublished=show_unpublished_product)
    categories = (
        Category.objects.for_tenant(tenant)
        .filter(
            pk__in=CategoryAssignment.objects.filter(
                tenant_id=tenant, product__in=products.filter(public_id=product_id)
            ).values("category_id")
        )
        .select_related("parent")
    )
    if not show_unpublished:
        categories = categories.visible(tenant=tenant, show_unpublished=False)
    return categories


def category_paths_of_products(*, tenant: str, product_ids: list[str]) -> dict[str, list[str]]:
    """{product id: the paths of the categories it is placed in}, for the placed products.

    One query. The product's tenant is part of the filter: the only index on a product's
    public id is the tenant's unique one, without it PostgreSQL scans every product.
    """
    placements: dict[str, list[str]] = defaultdict(list)
    rows = CategoryAssignment.objects.filter(
        tenant_id=tenant, product__tenant_id=tenant, product__public_id__in=product_ids
    ).values_list("product__public_id", "category__path")
    for product_id, path in rows.order_by():
        placements[product_id].append(path)
    return dict(placements)


def supercategory_ids(*, tenant: str, categories: Iterable[Category]) -> dict[int, list[str]]:
    """For each category (by surrogate id), the public ids of its ancestors, root first.

    Ancestors are read from the materialized paths and fetched in one query, whatever
    the number of categories.
    """
    categories = list(categories)
    wanted = {pk for category in categories for pk in category.ancestor_pks}
    public_ids = dict(
        Category.objects.for_tenant(tenant)
        .filter(pk__in=wanted)
        .order_by()
        .values_list("pk", "public_id")
        if wanted
        else ()
    )
    return {
        category.pk: [public_ids[pk] for pk in category.ancestor_pks if pk in public_ids]
        for category in categories
    }
