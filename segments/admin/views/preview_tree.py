"""What the storefront preview shows around the storefront's own answers: the category
forest with who gives each node and how many of the customer's products sit below it, and
the customer's segments that do not count at the moment, with the reason in a word.

Every decision is the storefront's (`segment_category_forest`, `categories_given_directly`,
`explain_customer`); this module only counts and names. A fixed number of queries, whatever
the size of the forest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

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
    counting segments, who gives which category, the products below each category and the
    explain link of an item."""

    language: str | None
    segment_names: dict[str, str]
    givers: dict[str, list[str]]
    products_in: dict[str, set[int]]
    explain: Callable[[str, str], str]


def display_forest(
    nodes: list[dict[str, Any]], labels: ForestLabels, *, given_above: bool = False
) -> list[dict[str, Any]]:
    """The storefront's forest, one display node per category: its name, its kind (`given`
    by a segment itself, `included` in a given category above it, or `path` to given
    categories below), the segments that give it (on a given node only), the number of the
    customer's products in it and below, and its explanation link."""
    shown = []
    for node in nodes:
        givers = labels.givers.get(node["id"], [])
        children = display_forest(
            node.get("subcategories", []), labels, given_above=given_above or bool(givers)
        )
        products = set(labels.products_in.get(node["id"], set()))
        for child in children:
            products |= child["product_ids"]
        shown.append(
            {
                "id": node["id"],
                "name": display_name(node.get("name"), labels.language) or node["id"],
                "kind": "given" if givers else "included" if given_above else "path",
                "assigned": node.get("isSegmentAssigned", False),
                "given_by": [(sid, labels.segment_names.get(sid, sid)) for sid in givers],
                "product_ids": products,
                "product_count": len(products),
                "explain_url": labels.explain("CATEGORY", node["id"]),
                "children": children,
            }
        )
    return shown


def forest_ids(nodes: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for node in nodes:
        ids.append(node["id"])
        ids.extend(forest_ids(node.get("subcategories", [])))
    return ids


def products_by_category(tenant: str, category_ids: list[str], visible: Q) -> dict[str, set[int]]:
    """The visible products (`visible`, a condition on products) placed in each of the
    categories; one query."""
    if not category_ids:
        return {}
    placed: dict[str, set[int]] = {}
    rows = CategoryAssignment.objects.filter(
        tenant_id=tenant,
        category__tenant_id=tenant,
        category__public_id__in=category_ids,
        product__in=Product.objects.filter(visible, tenant_id=tenant).values("pk"),
    ).values_list("category__public_id", "product_id")
    for category_id, product_pk in rows.order_by():
        placed.setdefault(category_id, set()).add(product_pk)
    return placed


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
