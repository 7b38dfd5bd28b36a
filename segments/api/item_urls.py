"""Routes of a segment's item assignments, relative to `/customer-segment/<tenant>/`.

The fixed `search` and `<type>/bulk` segments come before the route that takes an item id.
"""

from django.urls import path

from . import item_views as views

urlpatterns = [
    path(
        "segments/<str:segment_id>/items",
        views.ItemAssignmentCollectionView.as_view(),
        name="segment-items",
    ),
    path(
        "segments/<str:segment_id>/items/search",
        views.ItemAssignmentSearchView.as_view(),
        name="segment-items-search",
    ),
    path(
        "segments/<str:segment_id>/items/<str:item_type>/bulk",
        views.ItemAssignmentBulkView.as_view(),
        name="segment-items-bulk",
    ),
    path(
        "segments/<str:segment_id>/items/<str:item_type>/<str:item_id>",
        views.ItemAssignmentDetailView.as_view(),
        name="segment-item-detail",
    ),
]
