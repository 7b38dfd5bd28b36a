"""The coupons panel of the segments admin's storefront preview (`segments.hooks`).

Connected in `CouponsConfig.ready()`: segments sit below coupons and cannot import them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from segments.hooks import PreviewPanel, PreviewScope
from segments_project.errors import ApplicationError

from ..documents.currencies import DEFAULT_CURRENCY, Money
from ..documents.redemptions import RedemptionRequest
from ..selectors.coupons import coupons_of_tenant
from ..services import CouponRefused, Redeemer, coupon_validate

# Each coupon is validated on its own (`coupon_validate`, a few queries each): the panel
# validates the first 50 live coupons by code and says how many there are, so that a tenant
# with 5,000 live coupons (scale L) costs the preview what one with 50 does (scale S).
PREVIEW_COUPONS = 50


def coupon_panel(scope: PreviewScope) -> PreviewPanel:
    """The live coupons the customer could redeem, and those refused with the reasons, as
    the coupons app's own validation (`coupon_validate`) answers.

    Cart-dependent conditions (currency, minimum order value) are met on purpose: the
    preview asks whether the customer may use the coupon at all. The first PREVIEW_COUPONS
    live coupons by code are checked; `more` says that others follow.
    """
    redeemer = Redeemer(customer_id=scope.customer_id, legal_entity_id=scope.legal_entity_id)
    redeemable: list[Any] = []
    refused: list[Any] = []
    live = coupons_of_tenant(tenant=scope.tenant, at=scope.at).filter(status="VALID")
    shown = list(live.order_by("public_id")[: PREVIEW_COUPONS + 1])
    more = len(shown) > PREVIEW_COUPONS
    for coupon in shown[:PREVIEW_COUPONS]:
        currency = coupon.min_order_currency or coupon.discount_currency or DEFAULT_CURRENCY
        request = RedemptionRequest(
            order_total=Money(coupon.min_order_amount or Decimal("0.00"), currency),
            site_code=scope.site_code,
        )
        try:
            coupon_validate(
                tenant=scope.tenant,
                code=coupon.public_id,
                request=request,
                redeemer=redeemer,
                at=scope.at,
            )
        except CouponRefused as exc:
            refused.append((coupon, [detail.message for detail in exc.details]))
        except ApplicationError as exc:
            refused.append((coupon, [exc.message]))
        else:
            redeemable.append(coupon)
    return PreviewPanel(
        name="coupons",
        template="admin/coupons/preview_panel.html",
        context={
            "redeemable": redeemable,
            "refused": refused,
            "checked": min(len(shown), PREVIEW_COUPONS),
            "more": more,
        },
    )
