"""Routes of the storefront reads, relative to `/customer-segment/<tenant>/`."""

from django.urls import path

from . import storefront_views as views

urlpatterns = [
    path(
        "segments/items/category-trees",
        views.SegmentCategoryTreesView.as_view(),
        name="segment-category-trees",
    ),
    path("segments/items", views.SegmentsItemsView.as_view(), name="segments-items"),
    path("segments/match", views.SegmentMatchView.as_view(), name="segments-match"),
    path("me/segments", views.MySegmentsView.as_view(), name="my-segments"),
]
