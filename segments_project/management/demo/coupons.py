"""The demo's coupons, each restricted to a segment, and one redemption."""

from __future__ import annotations

from typing import Any

from coupons.documents.redemptions import redemption_request
from coupons.selectors.coupons import coupon_lookup
from coupons.selectors.redemptions import redemptions_of_coupon
from coupons.services import Redeemer, coupon_create, coupon_redeem, coupon_update
from segments_project.errors import NotFound

from .context import DemoContext, summary

# The coupon the printed validation curl asks about, for the customer of the printed token.
VALIDATION_COUPON = "GOLD15"

COUPONS: list[dict[str, Any]] = [
    {
        "code": "GOLD15",
        "name": "Gold customers: 15% off",
        "discountType": "PERCENT",
        "discountPercentage": 15,
        "maxRedemptionsPerCustomer": 1,
        "segmentRestricted": True,
        "restrictions": {"segments": ["gold"]},
    },
    {
        "code": "PARTNER25",
        "name": "Partners: 25 EUR off orders from 250 EUR",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 25, "currency": "EUR"},
        "segmentRestricted": True,
        "restrictions": {
            "segments": ["b2b-partners"],
            "minOrderValue": {"amount": 250, "currency": "EUR"},
        },
    },
    {
        "code": "XMAS2030",
        "name": "Christmas 2030: 15% off",
        "discountType": "PERCENT",
        "discountPercentage": 15,
        "segmentRestricted": True,
        "restrictions": {
            "segments": ["christmas-2030"],
            "validFrom": "2030-11-15T00:00:00.000Z",
            "validUntil": "2030-12-31T23:59:59.000Z",
        },
    },
]

# Ben, a gold member, has used his GOLD15 once already.
REDEMPTION: dict[str, Any] = {
    "coupon": "GOLD15",
    "customerNumber": "C-1002",
    "body": {"orderCode": "DEMO-1001", "orderTotal": {"amount": 80, "currency": "GBP"}},
}


def load_coupons(ctx: DemoContext) -> str:
    """Creates the missing coupons and puts the others back to the demo's terms (a
    replacement that changes nothing keeps the version); a deleted one stays deleted."""
    created = 0
    for document in COUPONS:
        try:
            existing = coupon_lookup(tenant=ctx.tenant, code=document["code"])
        except NotFound:
            coupon_create(tenant=ctx.tenant, document=document)
            created += 1
            continue
        if not existing.deleted:
            coupon_update(tenant=ctx.tenant, code=document["code"], document=document)
    return summary("coupons", len(COUPONS), created)


def load_redemption(ctx: DemoContext) -> str:
    """One redemption, made once: found again by its order code on later runs."""
    code, customer = REDEMPTION["coupon"], REDEMPTION["customerNumber"]
    order_code = REDEMPTION["body"]["orderCode"]
    coupon = coupon_lookup(tenant=ctx.tenant, code=code)
    if coupon.deleted:
        return f"redemption of {code}: skipped, the coupon is deleted"
    done = redemptions_of_coupon(coupon=coupon, customer_number=customer).filter(
        order_code=order_code
    )
    if done.exists():
        return f"redemption of {code} by {customer}: kept"
    coupon_redeem(
        tenant=ctx.tenant,
        code=code,
        request=redemption_request(REDEMPTION["body"]),
        redeemer=Redeemer(customer_id=customer),
    )
    return f"redemption of {code} by {customer} (order {order_code}): created"
