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
from ..services import CouponRefused, Redeemer, coupons_validate

# The panel validates the first 50 live coupons by code and says how many there are, so
# that a tenant with 5,000 live coupons (scale L) costs the preview what one with 50 does
# (scale S); `coupons_validate` reads what their checks need once for all of them.
PREVIEW_COUPONS = 50


def _request_of(site_code: str | None):
    def request_of(coupon: Any) -> RedemptionRequest:
        """A cart that meets the coupon's currency and minimum order value."""
        currency = coupon.min_order_currency or coupon.discount_currency or DEFAULT_CURRENCY
        return RedemptionRequest(
            order_total=Money(coupon.min_order_amount or Decimal("0.00"), currency),
            site_code=site_code,
        )

    return request_of


def coupon_panel(scope: PreviewScope) -> PreviewPanel:
    """The live coupons the customer could redeem, and those refused with the reasons, as
    the coupons app's own validation (`coupons_validate`, the checks of `coupon_validate`)
    answers.

    Cart-dependent conditions (currency, minimum order value) are met on purpose: the
    preview asks whether the customer may use the coupon at all. The first PREVIEW_COUPONS
    live coupons by code are checked, in a fixed number of queries; `more` says that others
    follow.
    """
    redeemer = Redeemer(customer_id=scope.customer_id, legal_entity_id=scope.legal_entity_id)
    redeemable: list[Any] = []
    refused: list[Any] = []
    live = coupons_of_tenant(tenant=scope.tenant, at=scope.at).filter(status="VALID")
    shown = list(live.order_by("public_id")[: PREVIEW_COUPONS + 1])
    more = len(shown) > PREVIEW_COUPONS
    answers = coupons_validate(
        tenant=scope.tenant,
        coupons=shown[:PREVIEW_COUPONS],
        request_of=_request_of(scope.site_code),
        redeemer=redeemer,
        site_code=scope.site_code,
        at=scope.at,
    )
    for coupon, answer in answers:
        if isinstance(answer, CouponRefused):
            refused.append((coupon, [detail.message for detail in answer.details]))
        elif isinstance(answer, ApplicationError):
            refused.append((coupon, [answer.message]))
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
