"""Route of the explanation, relative to `/customer-segment/<tenant>/` (a fixed word: it
comes before `segments/<segment_id>`, see `api/urls.py`)."""

from django.urls import path

from . import explain_views as views

urlpatterns = [
    path("segments/explain", views.SegmentExplainView.as_view(), name="segments-explain"),
]
