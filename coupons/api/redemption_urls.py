"""Routes of a coupon's redemptions, relative to /coupon/<tenant>/."""

from django.urls import path

from . import redemption_views as views

urlpatterns = [
    path(
        "coupons/<str:code>/redemptions",
        views.RedemptionCollectionView.as_view(),
        name="coupon-redemptions",
    ),
    path(
        "coupons/<str:code>/redemptions/<str:redemption_id>",
        views.RedemptionDetailView.as_view(),
        name="coupon-redemption-detail",
    ),
]
