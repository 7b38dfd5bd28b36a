"""Which products belong to which segments: directly, or through an assigned category's
subtree. A category's ancestors are the ids in its path, so no tree walk is needed."""

from __future__ import annotations

from collections import defaultdict

from catalog.selectors_assignments import category_paths_of_products

from ..models import ItemType, SegmentItemAssignment
from ..querysets import SegmentQuerySet


def match_products(
    *, tenant: str, product_ids: list[str], segments: SegmentQuerySet
) -> dict[str, list[str]]:
    """{product id: sorted ids of the matching segments}, for the products that match.

    Four queries at most whatever the number of products, segments and categories.
    """
    # Resolved once: as a subquery of each of the item queries, PostgreSQL planned the
    # membership joins anew every time, which cost more than running them.
    public_ids = dict(segments.order_by().values_list("pk", "public_id"))
    if not public_ids:
        return {}
    found: dict[str, set[str]] = defaultdict(set)
    direct = SegmentItemAssignment.objects.filter(
        tenant_id=tenant,
        segment_id__in=list(public_ids),
        item_type=ItemType.PRODUCT,
        product__tenant_id=tenant,
        product__public_id__in=product_ids,
    ).values_list("product__public_id", "segment_id")
    for product_id, segment_pk in direct.order_by():
        found[product_id].add(public_ids[segment_pk])
    by_category: dict[int, set[str]] = defaultdict(set)
    assigned = SegmentItemAssignment.objects.filter(
        tenant_id=tenant, segment_id__in=list(public_ids), item_type=ItemType.CATEGORY
    ).values_list("category_id", "segment_id")
    for category_pk, segment_pk in assigned.order_by():
        by_category[category_pk].add(public_ids[segment_pk])
    if by_category:
        placements = category_paths_of_products(tenant=tenant, product_ids=product_ids)
        for product_id, paths in placements.items():
            for path in paths:
                for part in path.strip("/").split("/"):
                    found[product_id].update(by_category.get(int(part), ()))
    return {product_id: sorted(ids) for product_id, ids in found.items() if ids}
