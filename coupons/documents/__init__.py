"""Coupon and redemption documents as the API speaks them (`coupons`, `redemptions`), the
validation of incoming coupon documents (`coupon_writes`), and the money they carry
(`currencies`: ISO 4217 codes, amounts to the cent), and the referral coupon a tenant's
referral settings make (`referrals`)."""
