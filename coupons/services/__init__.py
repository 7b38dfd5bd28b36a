"""Writes of coupons, redemptions, referral coupons and referral settings: the API and the
admin both come through here."""

from .coupons import coupon_create, coupon_delete, coupon_patch, coupon_update
from .redemptions import (
    Redeemer,
    Verdict,
    coupon_redeem,
    coupon_validate,
    coupons_validate,
    redemption_delete,
)
from .referrals import (
    ReferralNotConfigured,
    referral_coupon_issue,
    referral_settings_delete,
    referral_settings_save,
)
from .refusals import LIMITS, CouponRefused, Problem, Refusal

__all__ = [
    "LIMITS",
    "CouponRefused",
    "Problem",
    "Redeemer",
    "ReferralNotConfigured",
    "Refusal",
    "Verdict",
    "coupon_create",
    "coupon_delete",
    "coupon_patch",
    "coupon_redeem",
    "coupon_update",
    "coupon_validate",
    "coupons_validate",
    "redemption_delete",
    "referral_coupon_issue",
    "referral_settings_delete",
    "referral_settings_save",
]
