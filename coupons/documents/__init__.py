"""Coupon and redemption documents as the API speaks them (`coupons`, `redemptions`)."""
