"""Which cart lines a coupon applies to, and the discount it grants on them.

A segment-restricted coupon applies to the products its (member) segments give: assigned
directly, or through an assigned category's subtree (`segments.selectors.storefront_match`). A
category-restricted coupon applies to products placed in an included category's subtree
(any product when only exclusions are given) and in no excluded category's subtree. Any
other coupon applies to every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Category
from catalog.selectors.assignments import category_paths_of_products
from segments.querysets import SegmentQuerySet
from segments.selectors.storefront_match import match_products

from ..documents.currencies import round_money
from ..documents.redemptions import CartLine
from ..models import Coupon, DiscountType

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineVerdict:
    index: int
    line: CartLine
    eligible: bool
    # For segment-restricted coupons: the member segments that give the product.
    segment_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CartAssessment:
    lines: tuple[LineVerdict, ...]
    eligible_subtotal: Decimal
    discount: Decimal

    @property
    def any_eligible(self) -> bool:
        return any(verdict.eligible for verdict in self.lines)


def _products_in_categories(
    *, tenant: str, product_ids: list[str], included: list[str], excluded: list[str]
) -> set[str]:
    """The products placed under an included category (any, when none are included) and
    under no excluded one. Two queries; a category's subtree is a path prefix."""
    paths = dict(
        Category.objects.for_tenant(tenant)
        .filter(public_id__in=[*included, *excluded])
        .values_list("public_id", "path")
    )
    included_paths = [paths[category] for category in included if category in paths]
    excluded_paths = [paths[category] for category in excluded if category in paths]
    placements = category_paths_of_products(tenant=tenant, product_ids=product_ids)

    def eligible(product_id: str) -> bool:
        product_paths = placements.get(product_id, [])
        inside = not included or any(
            path.startswith(prefix) for path in product_paths for prefix in included_paths
        )
        outside = not any(
            path.startswith(prefix) for path in product_paths for prefix in excluded_paths
        )
        return inside and outside

    return {product_id for product_id in product_ids if eligible(product_id)}


def line_verdicts(
    *, coupon: Coupon, lines: Sequence[CartLine], segments: SegmentQuerySet | None
) -> list[LineVerdict]:
    """Each line with whether the coupon applies to it.

    `segments` are the coupon's segments the redeeming customer is an active member of;
    only they make lines of a segment-restricted coupon eligible.
    """
    product_ids = list(dict.fromkeys(line.product_id for line in lines))
    if coupon.segment_restricted:
        matches = (
            match_products(tenant=coupon.tenant_id, product_ids=product_ids, segments=segments)
            if segments is not None and product_ids
            else {}
        )
        return [
            LineVerdict(
                index=index,
                line=line,
                eligible=line.product_id in matches,
                segment_ids=tuple(matches.get(line.product_id, ())),
            )
            for index, line in enumerate(lines)
        ]
    if coupon.category_restricted:
        inside = (
            _products_in_categories(
                tenant=coupon.tenant_id,
                product_ids=product_ids,
                included=list(coupon.included_categories),
                excluded=list(coupon.excluded_categories),
            )
            if product_ids
            else set()
        )
        return [
            LineVerdict(index=index, line=line, eligible=line.product_id in inside)
            for index, line in enumerate(lines)
        ]
    return [LineVerdict(index=index, line=line, eligible=True) for index, line in enumerate(lines)]


def discount_on(coupon: Coupon, eligible_subtotal: Decimal) -> Decimal:
    """PERCENT of the eligible subtotal (half-up to cents), ABSOLUTE capped at it,
    FREE_SHIPPING nothing off the lines."""
    if coupon.discount_type == DiscountType.PERCENT:
        return round_money(eligible_subtotal * coupon.discount_percentage / 100)
    if coupon.discount_type == DiscountType.ABSOLUTE:
        return round_money(min(coupon.discount_amount, eligible_subtotal))
    return ZERO


def assess_cart(
    *, coupon: Coupon, lines: Sequence[CartLine], segments: SegmentQuerySet | None
) -> CartAssessment:
    verdicts = line_verdicts(coupon=coupon, lines=lines, segments=segments)
    subtotal = round_money(
        sum((verdict.line.total for verdict in verdicts if verdict.eligible), ZERO)
    )
    return CartAssessment(
        lines=tuple(verdicts), eligible_subtotal=subtotal, discount=discount_on(coupon, subtotal)
    )
