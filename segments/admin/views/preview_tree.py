"""What the storefront preview shows around the storefront's own answers: the category
forest with who gives each node and how many of the customer's products sit below it, and
the customer's segments that do not count at the moment, with the reason in a word.

Every decision is the storefront's (`segment_category_forest`, `categories_given_directly`,
`explain_customer`); this module only counts and names, one level of the forest at a time (the
page shows the roots; a category's subcategories are loaded when it is opened). A fixed
number of queries, whatever the size of the forest, and the products counted by the
database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from catalog.models import CategoryAssignment, Product
from segments_project.admin import localized_display
from segments_project.admin.dates import admin_datetime
from segments_project.admin.status import Lifecycle, lifecycle

from ...models import Segment, SegmentStatus
from ...selectors.explain import explain_customer
from ...selectors.storefront_scope import StorefrontScope


def display_name(names: dict[str, str] | None, language: str | None) -> str:
    """The text in the preview's language, else in the admin's (see `localized_display`)."""
    names = names or {}
    if language and names.get(language):
        return names[language]
    return localized_display(names)


@dataclass(frozen=True)
class ForestLabels:
    """What the forest's nodes are labelled with: the preview's language, the names of the
    counting segments, who gives which category, the tenant and the condition of the
    customer's products (counted below each shown category), the explain link of an item
    and the link that loads a category's subcategories."""

    language: str | None
    segment_names: dict[str, str]
    givers: dict[str, list[str]]
    tenant: str
    visible: Q
    explain: Callable[[str, str], str]
    children_url: Callable[[str], str]


def display_level(
    nodes: list[dict[str, Any]], labels: ForestLabels, *, given_above: bool = False
) -> list[dict[str, Any]]:
    """One level of the storefront's forest (the roots, or a category's subcategories), one
    display node per category: its name, its kind (`given` by a segment itself, `included`
    in a given category above it, or `path` to given categories below), the segments that
    give it (on a given node only), the number of the customer's products in it and below,
    its explanation link and, when it has subcategories, the link that loads them (the page
    renders one level at a time, whatever the size of the forest). Two queries at most."""
    counts = product_counts(
        labels.tenant, {node["id"]: subtree_ids(node) for node in nodes}, labels.visible
    )
    shown = []
    for node in nodes:
        givers = labels.givers.get(node["id"], [])
        has_children = bool(node.get("subcategories"))
        shown.append(
            {
                "id": node["id"],
                "name": display_name(node.get("name"), labels.language) or node["id"],
                "kind": "given" if givers else "included" if given_above else "path",
                "assigned": node.get("isSegmentAssigned", False),
                "given_by": [(sid, labels.segment_names.get(sid, sid)) for sid in givers],
                "product_count": counts.get(node["id"], 0),
                "explain_url": labels.explain("CATEGORY", node["id"]),
                "children_url": labels.children_url(node["id"]) if has_children else "",
            }
        )
    return shown


def subtree_ids(node: dict[str, Any]) -> list[str]:
    """The ids of the node's categories: its own and those of every subcategory below."""
    ids = [node["id"]]
    for child in node.get("subcategories", []):
        ids.extend(subtree_ids(child))
    return ids


def find_node(
    forest: list[dict[str, Any]], category_id: str
) -> tuple[dict[str, Any], list[str]] | None:
    """The forest's node of the category and the ids of its ancestors (root first); None
    when the forest does not hold it."""
    for node in forest:
        if node["id"] == category_id:
            return node, []
        found = find_node(node.get("subcategories", []), category_id)
        if found is not None:
            return found[0], [node["id"], *found[1]]
    return None


def product_counts(tenant: str, subtrees: dict[str, list[str]], visible: Q) -> dict[str, int]:
    """For each shown category, the number of visible products (`visible`, a condition on
    products) placed in one of its subtree's categories (`subtrees`: category id -> the ids
    of the categories in and below it, as the forest holds them), each product once:
    counted by the database in one query, whatever the number of products."""
    if not subtrees:
        return {}
    every = sorted({category_id for ids in subtrees.values() for category_id in ids})
    placed = CategoryAssignment.objects.filter(
        tenant_id=tenant,
        category__tenant_id=tenant,
        category__public_id__in=every,
        product__in=Product.objects.filter(visible, tenant_id=tenant).values("pk"),
    )
    keys = list(subtrees)
    counts = placed.aggregate(
        **{
            f"n{number}": Count(
                "product_id", distinct=True, filter=Q(category__public_id__in=subtrees[key])
            )
            for number, key in enumerate(keys)
        }
    )
    return {key: counts[f"n{number}"] or 0 for number, key in enumerate(keys)}


# Why a segment of the customer does not count now, in a word or two.
_WHY_NOT = {
    Lifecycle.SCHEDULED: "not yet active",
    Lifecycle.EXPIRED: "expired",
    Lifecycle.INACTIVE: "inactive",
}


def _why_not(segment: Segment, *, member: bool, site_code: str | None, at: datetime) -> str:
    status = lifecycle(
        switched_on=segment.status == SegmentStatus.ACTIVE,
        valid_from=segment.valid_from,
        valid_to=segment.valid_to,
        at=at,
    )
    if status == Lifecycle.SCHEDULED:
        return f"not yet active (from {admin_datetime(segment.valid_from)})"
    if status == Lifecycle.EXPIRED:
        return f"expired (ended {admin_datetime(segment.valid_to)})"
    if status in _WHY_NOT:
        return _WHY_NOT[status]
    if site_code is not None and segment.site_code != site_code:
        return f"other site ({segment.site_code})"
    return "not a member in this context" if not member else "does not count"


def segments_not_counting(scope: StorefrontScope, language: str | None) -> list[dict[str, Any]]:
    """The segments the customer is assigned to (or excluded from) that the storefront does
    not draw on now, each with the short reason and the explanation's full one; the
    explanation's fixed number of queries. Rules are asked only of the segments the
    customer is assigned to: the tenant's other rules would cost their compilation (seconds
    for thousands of rules) and change nothing the storefront shows."""
    explanation = explain_customer(
        tenant=scope.tenant,
        customer_id=scope.customer_id or "",
        legal_entity_id=scope.legal_entity_id,
        site_code=scope.site_code,
        at=scope.at,
        assigned_rules_only=True,
    )
    return [
        {
            "segment": entry.segment,
            "name": display_name(entry.segment.name, language),
            "why": _why_not(
                entry.segment, member=entry.member, site_code=scope.site_code, at=scope.at
            ),
            "reasons": entry.reasons,
        }
        for entry in explanation.segments
        if not entry.counts
    ]
