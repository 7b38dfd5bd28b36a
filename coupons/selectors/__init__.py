"""Reads of coupons, always scoped to one tenant: `coupons` (one or a list, with status and
redemption counts), `redemptions` (a coupon's redemptions)."""
