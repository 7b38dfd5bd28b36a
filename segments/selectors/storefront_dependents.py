"""Which segments' storefront answers show given catalog rows (for precise invalidation)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from catalog.models import Category, CategoryAssignment, path_pks

from ..models import ItemType, SegmentItemAssignment


@dataclass
class CatalogDependents:
    """Segment pks per aspect of their answers (`tenancy/versions.py`)."""

    items_shown: set[int] = field(default_factory=set)  # assigned the row itself
    trees: set[int] = field(default_factory=set)  # their category trees show the category
    grafted: set[int] = field(default_factory=set)  # their grafted trees show it


def _segments(tenant: str, condition: Q) -> set[int]:
    rows = SegmentItemAssignment.objects.filter(condition, tenant_id=tenant).order_by()
    return set(rows.values_list("segment_id", flat=True).distinct())


def segments_showing_catalog(
    *,
    tenant: str,
    category_pks: Iterable[int] = (),
    product_pks: Iterable[int] | QuerySet = (),
    product_category_pks: Iterable[int] | QuerySet = (),
) -> CatalogDependents:
    """The segments whose answers show these categories, products, or the categories of
    these products (`product_category_pks`: their links changed):

    - items: a segment holding the category or product itself;
    - trees: a segment holding the category, one of its ancestors (whose subtree shows it)
      or descendants (whose ancestors are shown as labels);
    - grafted trees: a segment holding a product in the category's subtree, or one of the
      products whose links changed.

    One query per aspect asked (and one for the categories' paths), whatever the number of
    rows or members. The product arguments may be queries of pks."""
    found = CatalogDependents()
    category_pks = set(category_pks)
    products = product_pks if isinstance(product_pks, QuerySet) else set(product_pks)
    linked = (
        product_category_pks
        if isinstance(product_category_pks, QuerySet)
        else set(product_category_pks)
    )
    shown = Q(item_type=ItemType.PRODUCT, product_id__in=products)
    grafted = Q(item_type=ItemType.PRODUCT, product_id__in=linked)
    if category_pks:
        shown |= Q(item_type=ItemType.CATEGORY, category_id__in=category_pks)
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
        found.trees = _segments(
            tenant,
            Q(item_type=ItemType.CATEGORY, category_id__in=lineage)
            | Q(item_type=ItemType.CATEGORY, category_id__in=subtree),
        )
        in_subtree = CategoryAssignment.objects.filter(
            tenant_id=tenant, category__in=subtree
        ).values("product_id")
        grafted |= Q(item_type=ItemType.PRODUCT, product_id__in=in_subtree)
    if category_pks or _given(products):
        found.items_shown = _segments(tenant, shown)
    if category_pks or _given(linked):
        found.grafted = _segments(tenant, grafted)
    return found


def _given(pks: set[int] | QuerySet) -> bool:
    return isinstance(pks, QuerySet) or bool(pks)
