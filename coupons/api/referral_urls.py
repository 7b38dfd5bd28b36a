"""Routes of referral coupons, relative to /coupon/<tenant>/."""

from django.urls import path

from . import referral_views as views

urlpatterns = [
    path(
        "referral-coupons/<str:customer_id>",
        views.ReferralCouponView.as_view(),
        name="referral-coupon",
    ),
]
