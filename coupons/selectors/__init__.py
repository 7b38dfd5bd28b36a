"""Reads of coupons, always scoped to one tenant: `coupons` (one or a list, with status and
redemption counts), `redemptions` (a coupon's redemptions), `eligibility` (which cart lines
a coupon applies to, and the discount on them), `referrals` (a customer's referral
coupon)."""
