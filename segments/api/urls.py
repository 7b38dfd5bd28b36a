from django.urls import path

from . import views
from .item_urls import urlpatterns as item_urlpatterns
from .member_urls import urlpatterns as member_urlpatterns
from .storefront_urls import urlpatterns as storefront_urlpatterns

# Ids in segment paths arrive unencoded from some clients, so they match anything but "/".
# Fixed words (search, bulk, items...) come before the `<segment_id>` routes that would
# otherwise swallow them.
urlpatterns = [
    path("segments", views.SegmentCollectionView.as_view(), name="segments"),
    path("segments/search", views.SegmentSearchView.as_view(), name="segments-search"),
    path("segments/bulk", views.SegmentBulkView.as_view(), name="segments-bulk"),
    *storefront_urlpatterns,
    *item_urlpatterns,
    *member_urlpatterns,
    path("segments/<str:segment_id>", views.SegmentDetailView.as_view(), name="segment-detail"),
]
