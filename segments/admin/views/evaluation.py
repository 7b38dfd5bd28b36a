"""The segment page's "Re-evaluate" button: starts a full evaluation of the segment's rule
through the same service as `POST /segments/{id}/evaluation` (a background job)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from segments_project.errors import ApplicationError

from ...services.evaluations import segment_evaluation_start
from .pages import post_only, segment_for


@post_only
def evaluate_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Requests the evaluation (coalesced with a waiting one) and returns to the segment
    page. Needs the change permission and a tenant the user administers, as every write."""
    segment = segment_for(model_admin, request, object_id, write=True)
    try:
        evaluation = segment_evaluation_start(
            tenant=segment.tenant_id, segment_id=segment.public_id
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        model_admin.log_change(request, segment, "Requested an evaluation of the rule.")
        messages.success(
            request,
            f"The rule of {segment.public_id} will be evaluated by a background worker "
            f"(evaluation {evaluation.pk}, {evaluation.status}); reload to follow it.",
        )
    return HttpResponseRedirect(reverse("admin:segments_segment_change", args=[segment.pk]))
