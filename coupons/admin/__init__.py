"""Admin for coupons; every write goes through the coupon services.

- `forms`: the coupon form, checked with the API's document function;
- `coupons`: `CouponAdmin`;
- `redemptions`: `RedemptionAdmin` and the inline of a coupon's redemptions;
- `referrals`: `ReferralSettingsAdmin`, the tenants' referral settings;
- `preview`: the coupons panel of the segments storefront preview, connected in
  `CouponsConfig.ready()`.

Importing the package registers the three admins.
"""

from . import coupons, redemptions, referrals

__all__ = ["coupons", "redemptions", "referrals"]
