"""Routes of the Coupon API, relative to /coupon/<tenant>/: coupons, their redemptions, and
referral coupons."""

from .coupon_urls import urlpatterns as coupon_urlpatterns
from .redemption_urls import urlpatterns as redemption_urlpatterns
from .referral_urls import urlpatterns as referral_urlpatterns

urlpatterns = [*coupon_urlpatterns, *redemption_urlpatterns, *referral_urlpatterns]
