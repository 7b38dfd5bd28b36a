"""Routes of the changes feed, relative to `/customer-segment/<tenant>/`."""

from django.urls import path

from . import event_views as views

urlpatterns = [path("events", views.EventFeedView.as_view(), name="events")]
