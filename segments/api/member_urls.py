"""Routes of a segment's members, relative to `/customer-segment/<tenant>/`.

The fixed `search` and `bulk` words come before the routes that take a customer id.
"""

from django.urls import path

from . import member_views as views

urlpatterns = [
    path(
        "segments/<str:segment_id>/customers",
        views.CustomerAssignmentCollectionView.as_view(),
        name="segment-customers",
    ),
    path(
        "segments/<str:segment_id>/customers/search",
        views.CustomerAssignmentSearchView.as_view(),
        name="segment-customers-search",
    ),
    path(
        "segments/<str:segment_id>/customers/bulk",
        views.CustomerAssignmentBulkView.as_view(),
        name="segment-customers-bulk",
    ),
    path(
        "segments/<str:segment_id>/customers/<str:customer_id>",
        views.CustomerAssignmentB2CView.as_view(),
        name="segment-customer",
    ),
    path(
        "segments/<str:segment_id>/customers/<str:customer_id>/<str:legal_entity_id>",
        views.CustomerAssignmentB2BView.as_view(),
        name="segment-customer-b2b",
    ),
]
