"""Routes of the webhook API, relative to /webhook/<tenant>/."""

from django.urls import path

from . import delivery_views, subscription_views

SUBSCRIPTION = "subscriptions/<str:subscription_id>"

urlpatterns = [
    path(
        "subscriptions",
        subscription_views.SubscriptionCollectionView.as_view(),
        name="webhook-subscriptions",
    ),
    path(
        f"{SUBSCRIPTION}/secret-rotation",
        subscription_views.SecretRotationView.as_view(),
        name="webhook-secret-rotation",
    ),
    path(
        f"{SUBSCRIPTION}/deliveries",
        delivery_views.DeliveryCollectionView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        f"{SUBSCRIPTION}/deliveries/<str:delivery_id>/retry",
        delivery_views.DeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
    path(f"{SUBSCRIPTION}/replay", delivery_views.ReplayView.as_view(), name="webhook-replay"),
    path(f"{SUBSCRIPTION}/test", delivery_views.TestMessageView.as_view(), name="webhook-test"),
    path(
        SUBSCRIPTION,
        subscription_views.SubscriptionDetailView.as_view(),
        name="webhook-subscription-detail",
    ),
]
