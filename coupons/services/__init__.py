"""Writes of coupons and redemptions: the API and the admin both come through here."""

from .coupons import coupon_create, coupon_delete, coupon_patch, coupon_update
from .redemptions import Redeemer, Verdict, coupon_redeem, coupon_validate, redemption_delete
from .refusals import LIMITS, CouponRefused, Problem, Refusal

__all__ = [
    "LIMITS",
    "CouponRefused",
    "Problem",
    "Redeemer",
    "Refusal",
    "Verdict",
    "coupon_create",
    "coupon_delete",
    "coupon_patch",
    "coupon_redeem",
    "coupon_update",
    "coupon_validate",
    "redemption_delete",
]
