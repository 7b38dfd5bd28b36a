"""The URLs of the segment's own admin pages, for `SegmentAdmin.get_urls`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any

from django.http import HttpResponse
from django.urls import path

from .criteria import criteria_preview_view
from .evaluation import evaluate_view
from .exclusions import exclusions_remove_view, exclusions_view
from .explain import explain_view
from .imports import (
    import_apply_view,
    import_cancel_view,
    import_job_view,
    import_rejections_view,
    import_step_view,
    import_view,
)
from .items import items_export_view, items_remove_view, items_view
from .members import members_export_view, members_remove_view, members_view
from .preview import preview_tree_view, preview_view


def segment_urls(model_admin: Any) -> list[Any]:
    """The URLs of these pages, for `SegmentAdmin.get_urls`."""
    info = f"{model_admin.model._meta.app_label}_{model_admin.model._meta.model_name}"

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        bound = partial(view, model_admin)
        return model_admin.admin_site.admin_view(update_wrapper(bound, view))

    return [
        path("preview/", wrap(preview_view), name=f"{info}_preview"),
        path(
            "criteria-preview/",
            wrap(criteria_preview_view),
            name=f"{info}_criteria_preview",
        ),
        path("preview/explain/", wrap(explain_view), name=f"{info}_explain"),
        path("preview/tree/", wrap(preview_tree_view), name=f"{info}_preview_tree"),
        path("<path:object_id>/members/", wrap(members_view), name=f"{info}_members"),
        path(
            "<path:object_id>/members/remove/",
            wrap(members_remove_view),
            name=f"{info}_members_remove",
        ),
        path(
            "<path:object_id>/members/export/",
            wrap(members_export_view),
            name=f"{info}_members_export",
        ),
        path("<path:object_id>/evaluate/", wrap(evaluate_view), name=f"{info}_evaluate"),
        path("<path:object_id>/exclusions/", wrap(exclusions_view), name=f"{info}_exclusions"),
        path(
            "<path:object_id>/exclusions/remove/",
            wrap(exclusions_remove_view),
            name=f"{info}_exclusions_remove",
        ),
        path("<path:object_id>/items/", wrap(items_view), name=f"{info}_items"),
        path(
            "<path:object_id>/items/remove/", wrap(items_remove_view), name=f"{info}_items_remove"
        ),
        path(
            "<path:object_id>/items/export/", wrap(items_export_view), name=f"{info}_items_export"
        ),
        path("<path:object_id>/import/", wrap(import_view), name=f"{info}_import"),
        path(
            "<path:object_id>/import/<str:token>/", wrap(import_job_view), name=f"{info}_import_job"
        ),
        path(
            "<path:object_id>/import/<str:token>/step/",
            wrap(import_step_view),
            name=f"{info}_import_step",
        ),
        path(
            "<path:object_id>/import/<str:token>/apply/",
            wrap(import_apply_view),
            name=f"{info}_import_apply",
        ),
        path(
            "<path:object_id>/import/<str:token>/cancel/",
            wrap(import_cancel_view),
            name=f"{info}_import_cancel",
        ),
        path(
            "<path:object_id>/import/<str:token>/rejections/",
            wrap(import_rejections_view),
            name=f"{info}_import_rejections",
        ),
    ]
