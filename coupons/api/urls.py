"""Routes of the Coupon API, relative to /coupon/<tenant>/: coupons, then their redemptions."""

from .coupon_urls import urlpatterns as coupon_urlpatterns
from .redemption_urls import urlpatterns as redemption_urlpatterns

urlpatterns = [*coupon_urlpatterns, *redemption_urlpatterns]
