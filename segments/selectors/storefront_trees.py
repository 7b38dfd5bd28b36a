"""The segment-filtered category forest a storefront builds its navigation from.

On PostgreSQL one statement selects the forest's categories with the segments that give
them (a recursive walk down from the assigned categories, their ancestors read from the
paths); elsewhere three ORM queries do. A cold tree was mostly the ORM building a filter
of one `path LIKE` per assigned category and decoding four JSON columns per row.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q

from catalog.documents.categories import category_node
from catalog.models import Category, path_pks
from segments_project.api.localization import LanguagePreference

from ..models import ItemType, SegmentItemAssignment
from .membership import SegmentRowsStatement
from .storefront_scope import StorefrontScope

_ITEMS = SegmentItemAssignment._meta.db_table
_CATEGORIES = Category._meta.db_table

# The segments' (id, public id); the categories they assign, each with the segments
# assigning it; their published subtrees, walked down `parent_id` (a branch under an
# unpublished category is never shown); and their ancestors, read from the paths. The JSON
# columns come as one array per row, decoded in one call. The lateral join (`OFFSET 0`:
# not flattened) and `= ANY(ARRAY(...))` keep PostgreSQL on the indexes: from its (high)
# estimate of the recursive part it hashed whole catalogs, 130 ms at M for 500 nodes.
_FOREST = f"""
    WITH RECURSIVE segment (id, public_id) AS MATERIALIZED ({{segments}}),
    target (category_id, assigned) AS (
        SELECT i.category_id, array_agg(DISTINCT s.public_id) FROM {_ITEMS} i
        JOIN segment s ON s.id = i.segment_id
        WHERE i.tenant_id = %s AND i.item_type = 'CATEGORY'
        GROUP BY i.category_id
    ),
    subtree (id) AS (
        SELECT category_id FROM target
        UNION
        SELECT c.id FROM subtree t CROSS JOIN LATERAL (
            SELECT id FROM {_CATEGORIES}
            WHERE tenant_id = %s AND parent_id = t.id AND published
            OFFSET 0
        ) c
    ),
    wanted (id) AS (
        SELECT unnest(string_to_array(trim(BOTH '/' FROM c.path), '/')::bigint[])
        FROM target t JOIN {_CATEGORIES} c ON c.id = t.category_id
        UNION
        SELECT id FROM subtree
    )
    SELECT c.id, c.parent_id, c.public_id,
        json_build_array(c.name, c.description, c.slug, c.ecn)::text, c.code, c.position,
        c.published, c.valid_from, c.valid_to, t.assigned
    FROM {_CATEGORIES} c
    LEFT JOIN target t ON t.category_id = c.id
    WHERE c.tenant_id = %s AND c.id = ANY(ARRAY(SELECT id FROM wanted))
    ORDER BY c.depth, c.position, c.public_id
"""


class _CategoryRow(NamedTuple):
    """The columns of a category that a tree node shows, or that place it in the tree:
    building full Category instances was most of a cold tree's time."""

    pk: int
    parent_id: int | None
    public_id: str
    name: dict[str, str]
    description: dict[str, str]
    slug: dict[str, str]
    code: str | None
    ecn: list[str]
    position: int
    published: bool
    valid_from: datetime | None
    valid_to: datetime | None


class _ForestRow(NamedTuple):
    """A category of the forest with the segments that assign it and those that assign one
    of its products (empty when none)."""

    category: _CategoryRow
    assigned_by: frozenset[str]
    grafted_by: frozenset[str]


_NONE: frozenset[str] = frozenset()


def _targets(scope: StorefrontScope, *, include_product_categories: bool):
    """Assigned categories and (optionally) categories of assigned products, each with the
    public ids of the segments that put it there: {category pk: (path, segment ids)}."""
    segments = scope.segments()
    assigned: dict[int, tuple[str, set[str]]] = {}
    rows = SegmentItemAssignment.objects.filter(
        tenant_id=scope.tenant, segment__in=segments, item_type=ItemType.CATEGORY
    ).values_list("category_id", "category__path", "segment__public_id")
    for pk, path, segment_id in rows.order_by():
        assigned.setdefault(pk, (path, set()))[1].add(segment_id)
    grafted: dict[int, tuple[str, set[str]]] = {}
    if include_product_categories:
        rows = (
            SegmentItemAssignment.objects.filter(
                tenant_id=scope.tenant, segment__in=segments, item_type=ItemType.PRODUCT
            )
            .filter(product__category_assignments__isnull=False)
            .values_list(
                "product__category_assignments__category_id",
                "product__category_assignments__category__path",
                "segment__public_id",
            )
        )
        for pk, path, segment_id in rows.order_by():
            grafted.setdefault(pk, (path, set()))[1].add(segment_id)
    return assigned, grafted


def _forest_rows_in_queries(
    scope: StorefrontScope, *, include_product_categories: bool
) -> Iterator[_ForestRow]:
    """The forest's categories, ancestors first (depth, position, id): three ORM queries."""
    assigned, grafted = _targets(scope, include_product_categories=include_product_categories)
    if not assigned and not grafted:
        return
    wanted_pks = {
        pk for path, _ in [*assigned.values(), *grafted.values()] for pk in path_pks(path)
    }
    subtrees = reduce(or_, (Q(path__startswith=path) for path, _ in assigned.values()), Q())
    rows = (
        Category.objects.for_tenant(scope.tenant)
        .filter(Q(pk__in=wanted_pks) | subtrees)
        .order_by("depth", "position", "public_id")
        .values_list(*_CategoryRow._fields)
    )
    for category in map(_CategoryRow._make, rows):
        yield _ForestRow(
            category,
            frozenset(assigned[category.pk][1]) if category.pk in assigned else _NONE,
            frozenset(grafted[category.pk][1]) if category.pk in grafted else _NONE,
        )


def _forest_rows_in_one_statement(tenant: str, segments: SegmentRowsStatement) -> list[_ForestRow]:
    """The forest's categories, ancestors first (depth, position, id), without grafted
    product categories: one statement (PostgreSQL), only the columns a node shows, no model
    instance."""
    params = [*segments.params, tenant, tenant, tenant]
    with connections[segments.using].cursor() as cursor:
        cursor.execute(_FOREST.format(segments=segments.sql), params)
        rows = cursor.fetchall()
    documents = json.loads("[" + ",".join(row[3] for row in rows) + "]")
    forest = []
    for row, (name, description, slug, ecn) in zip(rows, documents, strict=True):
        pk, parent_id, public_id, _, code, position, published, valid_from, valid_to = row[:9]
        category = _CategoryRow(
            pk=pk,
            parent_id=parent_id,
            public_id=public_id,
            name=name,
            description=description,
            slug=slug,
            code=code,
            ecn=ecn,
            position=position,
            published=published,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        assigned = row[9]
        forest.append(_ForestRow(category, frozenset(assigned) if assigned else _NONE, _NONE))
    return forest


def _segment_statement(scope: StorefrontScope) -> SegmentRowsStatement | None:
    """The scope's segments as one SQL statement on PostgreSQL (None elsewhere); raises
    EmptyResultSet when the scope draws on no segment."""
    segments = scope.segment_rows()
    if isinstance(segments, SegmentRowsStatement):
        return segments
    if connections[segments.db].vendor != "postgresql":
        return None
    sql, params = segments.order_by().values("pk", "public_id").query.sql_with_params()
    return SegmentRowsStatement(sql, list(params), segments.db)


def segment_category_forest(
    scope: StorefrontScope,
    languages: LanguagePreference,
    *,
    include_product_categories: bool = False,
) -> list[dict[str, Any]]:
    """Every published category assigned to one of the scope's segments with its whole
    published subtree, plus its ancestors as labels (`isSegmentAssigned: false`).

    A branch under an unpublished category is left out, assigned or not (fail closed).
    With `include_product_categories`, the categories of directly assigned products are
    grafted in as labels too. Every node lists the `segmentIds` that made it visible.
    One statement on PostgreSQL without grafts, three queries at most otherwise, whatever
    the size of the forest.
    """
    try:
        # Grafted product categories stay with the ORM queries: at M the statement with
        # them took longer than the queries (a forest of 2,500 nodes instead of 500).
        statement = None if include_product_categories else _segment_statement(scope)
    except EmptyResultSet:  # a visitor: no segment, no tree
        return []
    if statement is None:
        rows: Iterable[_ForestRow] = _forest_rows_in_queries(
            scope, include_product_categories=include_product_categories
        )
    else:
        rows = _forest_rows_in_one_statement(scope.tenant, statement)
    return _forest(rows, languages)


def _forest(rows: Iterable[_ForestRow], languages: LanguagePreference) -> list[dict[str, Any]]:
    """The trees of the rows (ancestors first): a node is shown when it is published and
    its parent is shown; it is segment-assigned when it or an ancestor is assigned."""
    nodes: dict[int, dict[str, Any]] = {}
    granted_of: dict[int, frozenset[str]] = {}
    segment_sets: dict[int, frozenset[str]] = {}
    children: dict[int, list[int]] = defaultdict(list)
    roots: list[int] = []
    for category, assigned_by, grafted_by in rows:
        parent_id = category.parent_id
        parent_visible = parent_id is None or parent_id in nodes
        if not category.published or not parent_visible:
            continue
        granted = granted_of[parent_id] | assigned_by if parent_id else assigned_by
        node = category_node(category, languages, nodes[parent_id]["id"] if parent_id else None)
        node["name"] = node.pop("localizedName")
        node["isSegmentAssigned"] = bool(granted)
        nodes[category.pk] = node
        granted_of[category.pk] = granted
        segment_sets[category.pk] = granted | grafted_by
        (children[parent_id] if parent_id else roots).append(category.pk)
    return [tree for pk in roots if (tree := _assemble(pk, nodes, children, segment_sets))]


def _assemble(
    pk: int,
    nodes: dict[int, dict[str, Any]],
    children: dict[int, list[int]],
    segment_sets: dict[int, frozenset[str]],
) -> dict[str, Any] | None:
    """The node with its kept subcategories; a label with nothing visible below is dropped."""
    node = nodes[pk]
    kept = [
        child
        for child_pk in children[pk]
        if (child := _assemble(child_pk, nodes, children, segment_sets))
    ]
    segment_ids = set(segment_sets[pk])
    for child in kept:
        segment_ids.update(child["segmentIds"])
    if not segment_ids:
        return None
    node["segmentIds"] = sorted(segment_ids)
    node["subcategories"] = kept
    return node


def categories_given_directly(scope: StorefrontScope) -> dict[str, list[str]]:
    """The categories the scope's segments assign themselves (the assigned categories of
    `segment_category_forest`, not their subtrees or ancestors), each with the ids of the
    segments that assign it: who gives a node, as opposed to who makes it visible. One
    query."""
    givers: dict[str, set[str]] = defaultdict(set)
    rows = SegmentItemAssignment.objects.filter(
        tenant_id=scope.tenant, segment__in=scope.segments(), item_type=ItemType.CATEGORY
    ).values_list("category__public_id", "segment__public_id")
    for category_id, segment_id in rows.order_by():
        givers[category_id].add(segment_id)
    return {category_id: sorted(ids) for category_id, ids in givers.items()}
