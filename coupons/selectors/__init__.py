"""Reads of coupons, always scoped to one tenant: `coupons` (coupons and their redemptions)."""
