"""Admin for coupons; every write goes through the coupon services.

- `forms`: the coupon form, checked with the API's document function;
- `coupons`: `CouponAdmin`;
- `redemptions`: `RedemptionAdmin` and the inline of a coupon's redemptions;
- `preview`: the coupons panel of the segments storefront preview, connected in
  `CouponsConfig.ready()`.

Importing the package registers both admins.
"""

from . import coupons, redemptions

__all__ = ["coupons", "redemptions"]
