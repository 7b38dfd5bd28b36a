"""Routes of the Segments resource, relative to `/customer-segment/<tenant>/`.

The fixed `search`, `bulk` and `criteria-preview` words come before the route that takes
a segment id.
"""

from django.urls import path

from . import segment_views as views

# Ids in segment paths arrive unencoded from some clients, so they match anything but "/".
urlpatterns = [
    path("segments", views.SegmentCollectionView.as_view(), name="segments"),
    path("segments/search", views.SegmentSearchView.as_view(), name="segments-search"),
    path("segments/bulk", views.SegmentBulkView.as_view(), name="segments-bulk"),
    path(
        "segments/criteria-preview",
        views.CriteriaPreviewView.as_view(),
        name="segments-criteria-preview",
    ),
    path("segments/<str:segment_id>", views.SegmentDetailView.as_view(), name="segment-detail"),
]
