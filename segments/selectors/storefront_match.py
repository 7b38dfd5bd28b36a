"""Which products belong to which segments: directly, or through an assigned category's
subtree. A category's ancestors are the ids in its path, so no tree walk is needed.

On PostgreSQL the whole question is one statement (match is never cached and runs on
every page view with a cart: four round trips were most of its cost); elsewhere four
ORM queries answer it. Both take the segments as a queryset, so the membership rule and
the segments' own conditions stay in one place (`segments/selectors/membership.py`).
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import EmptyResultSet
from django.db import connections

from catalog.models import Category, CategoryAssignment, Product, path_pks
from catalog.selectors.assignments import category_paths_of_products

from ..models import ItemType, SegmentItemAssignment
from ..querysets import SegmentQuerySet
from .membership import SegmentRowsStatement

_ITEMS = SegmentItemAssignment._meta.db_table
_PRODUCTS = Product._meta.db_table
_PLACEMENTS = CategoryAssignment._meta.db_table
_CATEGORIES = Category._meta.db_table

# The segments' (id, public id) come first as a CTE; then the products assigned directly,
# and the products placed in a category whose path holds an assigned category's id.
_MATCH = f"""
    WITH segment (id, public_id) AS MATERIALIZED ({{segments}})
    SELECT p.public_id, s.public_id FROM {_ITEMS} i
    JOIN segment s ON s.id = i.segment_id
    JOIN {_PRODUCTS} p ON p.id = i.product_id
    WHERE i.tenant_id = %s AND i.item_type = 'PRODUCT'
      AND p.tenant_id = %s AND p.public_id = ANY(%s)
    UNION
    SELECT p.public_id, s.public_id FROM {_PLACEMENTS} ca
    JOIN {_PRODUCTS} p ON p.id = ca.product_id
    JOIN {_CATEGORIES} c ON c.id = ca.category_id
    JOIN {_ITEMS} i ON i.tenant_id = %s AND i.item_type = 'CATEGORY'
      AND i.category_id = ANY(string_to_array(trim(BOTH '/' FROM c.path), '/')::bigint[])
    JOIN segment s ON s.id = i.segment_id
    WHERE ca.tenant_id = %s AND p.tenant_id = %s AND p.public_id = ANY(%s)
"""


def match_products(
    *, tenant: str, product_ids: list[str], segments: SegmentQuerySet | SegmentRowsStatement
) -> dict[str, list[str]]:
    """{product id: sorted ids of the matching segments}, for the products that match.

    `segments` is a queryset, or on PostgreSQL the precompiled statement of a customer's
    segments (`membership.active_member_segment_rows`). One statement on PostgreSQL, four
    queries at most elsewhere, whatever the number of products, segments and categories.
    """
    if isinstance(segments, SegmentRowsStatement):
        return _match_in_one_statement(tenant, product_ids, segments)
    if connections[segments.db].vendor != "postgresql":
        return _match_in_queries(tenant, product_ids, segments)
    selected = segments.order_by().values("pk", "public_id")
    try:
        sql, params = selected.query.sql_with_params()
    except EmptyResultSet:  # e.g. `segmentIds: []`: no segment, no match
        return {}
    return _match_in_one_statement(
        tenant, product_ids, SegmentRowsStatement(sql, list(params), segments.db)
    )


def _match_in_one_statement(
    tenant: str, product_ids: list[str], segments: SegmentRowsStatement
) -> dict[str, list[str]]:
    params = [*segments.params, tenant, tenant, product_ids, tenant, tenant, tenant, product_ids]
    found: dict[str, list[str]] = defaultdict(list)
    with connections[segments.using].cursor() as cursor:
        cursor.execute(_MATCH.format(segments=segments.sql), params)
        for product_id, segment_id in cursor.fetchall():
            found[product_id].append(segment_id)
    return {product_id: sorted(ids) for product_id, ids in found.items()}


def _match_in_queries(
    tenant: str, product_ids: list[str], segments: SegmentQuerySet
) -> dict[str, list[str]]:
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
                for category_pk in path_pks(path):
                    found[product_id].update(by_category.get(category_pk, ()))
    return {product_id: sorted(ids) for product_id, ids in found.items() if ids}
