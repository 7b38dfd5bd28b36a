"""Reads of the category forest; every answer is a fixed number of queries."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from segments_project.api.localization import LanguagePreference, localize
from segments_project.errors import NotFound

from ..documents.categories import category_node, deprecated_tree_node
from ..models import Category


def category_get(*, tenant: str, category_id: str, show_unpublished: bool) -> Category:
    """The category, or NotFound whether it is missing, of another tenant or hidden.

    Without `show_unpublished`, a category that is unpublished or lies under an unpublished
    one counts as missing (`CategoryQuerySet.visible`).
    """
    queryset = Category.objects.visible(tenant=tenant, show_unpublished=show_unpublished)
    category = queryset.filter(public_id=category_id).first()
    if category is None:
        raise NotFound(
            f"The category with id {category_id} has not been found.", resource_id=category_id
        )
    return category


def categories_list(*, tenant: str, show_roots: bool, show_unpublished: bool) -> QuerySet:
    """The categories the reader sees (`show_roots`: only roots), each with its parent."""
    queryset = Category.objects.visible(
        tenant=tenant, show_unpublished=show_unpublished
    ).select_related("parent")
    if show_roots:
        queryset = queryset.filter(parent__isnull=True)
    return queryset


def subcategories(*, category: Category, depth: int | None, show_unpublished: bool) -> QuerySet:
    """Descendants of the category, down to `depth` levels below it (all when None), that
    the reader sees."""
    queryset = (
        Category.objects.for_tenant(category.tenant_id)
        .descendants_of(category.path)
        .visible(tenant=category.tenant_id, show_unpublished=show_unpublished)
        .select_related("parent")
    )
    if depth is not None:
        queryset = queryset.filter(depth__lte=category.depth + depth)
    return queryset


def parents(*, category: Category) -> list[Category]:
    """The category's ancestors, root first, in one query read off its path."""
    ancestor_pks = category.ancestor_pks
    by_pk = {
        ancestor.pk: ancestor
        for ancestor in Category.objects.filter(pk__in=ancestor_pks).select_related("parent")
    }
    return [by_pk[pk] for pk in ancestor_pks if pk in by_pk]


def display_name(name: dict[str, str], languages: LanguagePreference) -> str:
    """The single-language `name` the vendor's trees still carry next to `localizedName`."""
    localized = localize(name, languages) or name
    return next(iter(localized.values()), "")


def category_forest(
    *,
    tenant: str,
    languages: LanguagePreference,
    show_unpublished: bool,
    root_ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Nested trees (`subcategories` in position order) in one query over the tenant's forest.

    With `root_ids`, the trees start at those categories. Unpublished categories, and so
    everything below them, are left out unless `show_unpublished` (a root under an
    unpublished category too).
    """
    queryset = Category.objects.for_tenant(tenant)
    if root_ids is not None:
        roots = list(
            queryset.visible(tenant=tenant, show_unpublished=show_unpublished)
            .filter(public_id__in=root_ids)
            .values_list("path", flat=True)
        )
        if not roots:
            return []
        queryset = queryset.filter(reduce(or_, (Q(path__startswith=path) for path in roots)))
    nodes: dict[int, dict[str, Any]] = {}
    forest: list[dict[str, Any]] = []
    for category in queryset.order_by("depth", "position", "public_id"):
        if not (category.published or show_unpublished):
            continue
        parent_node = nodes.get(category.parent_id) if category.parent_id else None
        is_root = category.parent_id is None if root_ids is None else category.public_id in root_ids
        if parent_node is None and not is_root:
            continue  # under a hidden (unpublished or outside) category
        node = category_node(
            category, languages, parent_node["id"] if parent_node is not None else None
        )
        node["name"] = display_name(category.name, languages)
        node["subcategories"] = []
        nodes[category.pk] = node
        (parent_node["subcategories"] if parent_node is not None else forest).append(node)
    return forest


def deprecated_category_tree(*, tenant: str, languages: LanguagePreference) -> dict[str, Any]:
    """The vendor's deprecated single tree (`GET categories/categoryTree`): published
    categories only, from the first root in position order; NotFound when there is none.

    That API knew one root per tenant; a forest of several roots answers its first tree.
    """
    forest = category_forest(tenant=tenant, languages=languages, show_unpublished=False)
    if not forest:
        raise NotFound("The tenant has no published category tree.", resource_id="categoryTree")
    return deprecated_tree_node(forest[0])
