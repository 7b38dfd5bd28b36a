"""Which segments' storefront answers show given catalog rows (for precise invalidation)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from catalog.models import Category, CategoryAssignment, path_pks

from ..models import ItemType, SegmentItemAssignment


def segments_showing_catalog(
    *,
    tenant: str,
    category_pks: Iterable[int] = (),
    product_pks: Iterable[int] | QuerySet = (),
) -> set[int]:
    """The pks of the segments whose items or category trees show one of these categories
    or products: a segment holding the product; holding the category, one of its ancestors
    (whose subtree shows it) or descendants (whose ancestors are shown as labels); or
    holding a product in its subtree (grafted with its ancestors). `product_pks` may be a
    query of pks. Two queries, whatever the number of rows or members."""
    category_pks = set(category_pks)
    if not isinstance(product_pks, QuerySet):
        product_pks = set(product_pks)
    conditions = Q(item_type=ItemType.PRODUCT, product_id__in=product_pks)
    if category_pks:
        paths = list(
            Category.objects.filter(tenant_id=tenant, pk__in=category_pks).values_list(
                "path", flat=True
            )
        )
        lineage = {pk for path in paths for pk in path_pks(path)} | category_pks
        below = Q(pk__in=[])
        for path in paths:
            below |= Q(path__startswith=path)
        subtree = Category.objects.filter(below, tenant_id=tenant).values("pk")
        products = CategoryAssignment.objects.filter(tenant_id=tenant, category__in=subtree).values(
            "product_id"
        )
        conditions |= (
            Q(item_type=ItemType.CATEGORY, category_id__in=lineage)
            | Q(item_type=ItemType.CATEGORY, category_id__in=subtree)
            | Q(item_type=ItemType.PRODUCT, product_id__in=products)
        )
    rows = SegmentItemAssignment.objects.filter(conditions, tenant_id=tenant)
    return set(rows.order_by().values_list("segment_id", flat=True).distinct())
