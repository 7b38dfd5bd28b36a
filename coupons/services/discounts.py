"""The discount a redemption records, and when a discount sent with it is refused.

With cart lines, the discount is the one computed on the eligible lines
(`selectors.eligibility.assess_cart`) and a discount sent along must be that one. Without
lines the only amount known is the order total: PERCENT grants that percentage of it,
ABSOLUTE the amount capped at it, FREE_SHIPPING nothing off it. A discount sent without
lines may be lower than that (the coupon may apply to the subtotal or to some of the lines
only, which the service does not see) but never higher, except that a FREE_SHIPPING discount
(the shipping cost, unknown here) may reach the order total. An absent discount is the
computed one. Validation and redemption both come through here, so they agree.
"""

from __future__ import annotations

from decimal import Decimal

from ..documents.currencies import CENT, Money
from ..documents.redemptions import RedemptionRequest
from ..models import Coupon, DiscountType
from ..selectors.eligibility import ZERO, CartAssessment, discount_on
from .refusals import Problem, Refusal


def _tolerance(coupon: Coupon) -> Decimal:
    """A percentage rounded another way (half-even, down) differs by at most a cent;
    absolute amounts involve no rounding."""
    return CENT if coupon.discount_type == DiscountType.PERCENT else ZERO


def computed_discount(
    coupon: Coupon, request: RedemptionRequest, cart: CartAssessment | None
) -> Money:
    """What the coupon grants: on the eligible lines, else on the order total."""
    amount = cart.discount if cart is not None else discount_on(coupon, request.order_total.amount)
    return Money(amount, request.order_total.currency)


def _ceiling(coupon: Coupon, request: RedemptionRequest, computed: Money) -> Decimal:
    if coupon.discount_type == DiscountType.FREE_SHIPPING:
        return request.order_total.amount
    return computed.amount


def discount_problem(
    coupon: Coupon, request: RedemptionRequest, cart: CartAssessment | None
) -> Problem | None:
    """Why the request's discount is refused: DISCOUNT_MISMATCH with cart lines (it is not
    the computed one), DISCOUNT_TOO_HIGH without (more than the coupon grants); None when
    it is consistent or absent."""
    given = request.discount
    if given is None:
        return None
    computed = computed_discount(coupon, request, cart)
    tolerance = _tolerance(coupon)
    currency = computed.currency
    if cart is not None:
        if abs(given.amount - computed.amount) <= tolerance:
            return None
        return Problem(
            Refusal.DISCOUNT_MISMATCH,
            "discount.amount",
            f"The discount of {given.amount} {currency} differs from the {computed.amount} "
            f"{currency} computed on the eligible items.",
        )
    ceiling = _ceiling(coupon, request, computed)
    if given.amount <= ceiling + tolerance:
        return None
    return Problem(
        Refusal.DISCOUNT_TOO_HIGH,
        "discount.amount",
        f"The discount of {given.amount} {currency} exceeds the {ceiling} {currency} the "
        f"coupon grants on an order total of {request.order_total.amount} {currency}.",
    )


def granted_discount(
    coupon: Coupon, request: RedemptionRequest, cart: CartAssessment | None
) -> Money:
    """The discount a redemption records once `discount_problem` found none: the one sent
    (what the order applied), else the computed one."""
    return request.discount or computed_discount(coupon, request, cart)
