"""Routes of a segment's exclusions, relative to `/customer-segment/<tenant>/`."""

from django.urls import path

from . import exclusion_views as views

urlpatterns = [
    path(
        "segments/<str:segment_id>/exclusions",
        views.ExclusionCollectionView.as_view(),
        name="segment-exclusions",
    ),
    path(
        "segments/<str:segment_id>/exclusions/<str:customer_id>",
        views.ExclusionDetailView.as_view(),
        name="segment-exclusion",
    ),
]
