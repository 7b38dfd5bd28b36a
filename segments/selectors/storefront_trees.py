"""The segment-filtered category forest a storefront builds its navigation from."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.db.models import Q

from catalog.documents.categories import category_node
from catalog.models import Category, path_pks
from segments_project.api.localization import LanguagePreference

from ..models import ItemType, SegmentItemAssignment
from .storefront_scope import StorefrontScope


class _CategoryRow(NamedTuple):
    """The columns of a category that a tree node shows, or that place it in the tree:
    building full Category instances was most of a cold tree's time."""

    pk: int
    parent_id: int | None
    path: str
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
    Three queries at most, whatever the size of the forest.
    """
    assigned, grafted = _targets(scope, include_product_categories=include_product_categories)
    if not assigned and not grafted:
        return []
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
    nodes: dict[int, dict[str, Any]] = {}
    segment_sets: dict[int, set[str]] = defaultdict(set)
    children: dict[int, list[int]] = defaultdict(list)
    roots: list[int] = []
    for category in map(_CategoryRow._make, rows):
        parent_visible = category.parent_id is None or category.parent_id in nodes
        if not category.published or not parent_visible:
            continue
        lineage = path_pks(category.path)
        granted = set().union(*(assigned[pk][1] for pk in lineage if pk in assigned))
        node = category_node(
            category, languages, nodes[category.parent_id]["id"] if category.parent_id else None
        )
        node["name"] = node.pop("localizedName")
        node["isSegmentAssigned"] = bool(granted)
        nodes[category.pk] = node
        segment_sets[category.pk] = granted | grafted.get(category.pk, ("", set()))[1]
        (children[category.parent_id] if category.parent_id else roots).append(category.pk)
    return [tree for pk in roots if (tree := _assemble(pk, nodes, children, segment_sets))]


def _assemble(
    pk: int,
    nodes: dict[int, dict[str, Any]],
    children: dict[int, list[int]],
    segment_sets: dict[int, set[str]],
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
