"""Routes of coupons (management and validation), relative to /coupon/<tenant>/."""

from django.urls import path

from . import coupon_views as views

urlpatterns = [
    path("coupons", views.CouponCollectionView.as_view(), name="coupons"),
    path("coupons/<str:code>", views.CouponDetailView.as_view(), name="coupon-detail"),
    path(
        "coupons/<str:code>/validation",
        views.CouponValidationView.as_view(),
        name="coupon-validation",
    ),
]
