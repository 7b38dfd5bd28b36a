"""Route of a segment's rule evaluation, relative to `/customer-segment/<tenant>/`."""

from django.urls import path

from . import evaluation_views as views

urlpatterns = [
    path(
        "segments/<str:segment_id>/evaluation",
        views.SegmentEvaluationView.as_view(),
        name="segment-evaluation",
    ),
]
