"""OpenAPI description of a segment's evaluation status (an extension of the vendor's API)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
)
from rest_framework import serializers

from segments_project.api.schema_components import ERROR_RESPONSES, NOT_FOUND, ErrorSerializer

from ..models import EvaluationStatus, EvaluationTrigger

TAG = ["Evaluations"]


class SegmentEvaluationResponseSerializer(serializers.Serializer):
    segmentId = serializers.CharField()
    # Named EvaluationStatusEnum in SPECTACULAR_SETTINGS (the segment's is StatusEnum).
    status = serializers.ChoiceField(
        choices=EvaluationStatus.values,
        allow_null=True,
        help_text="null: the segment was never evaluated.",
    )
    trigger = serializers.ChoiceField(choices=EvaluationTrigger.values, allow_null=True)
    requestedAt = serializers.DateTimeField(allow_null=True)
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    added = serializers.IntegerField(allow_null=True, help_text="AUTOMATIC members added.")
    removed = serializers.IntegerField(allow_null=True, help_text="AUTOMATIC members removed.")
    members = serializers.IntegerField(
        allow_null=True, help_text="The segment's members (MANUAL and AUTOMATIC) after it."
    )
    attempts = serializers.IntegerField(help_text="Runs started (a retry after a dead worker).")
    error = serializers.CharField(allow_null=True, help_text="Why a FAILED evaluation failed.")


SEGMENT_ID = OpenApiParameter(
    "segment_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The segment id."
)
DESCRIPTION = (
    "A full evaluation makes the segment's AUTOMATIC members exactly the customers its "
    "rule (criteria) selects, minus exclusions and MANUAL members. It runs as a background "
    "job: PENDING until a worker takes it, RUNNING, then DONE with the counts or FAILED "
    "with the error (the membership then stays as it was). Every change of the rule starts "
    "one; rules with relative dates are evaluated again on a schedule."
)


def segment_evaluation(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving the latest evaluation of a customer segment's rule",
        description=f"{DESCRIPTION} A segment never evaluated answers status null.",
        parameters=[SEGMENT_ID],
        responses={200: SegmentEvaluationResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.post = extend_schema(
        tags=TAG,
        summary="Evaluating a customer segment's rule now",
        description=f"{DESCRIPTION} Starts one, or answers the one already waiting for a "
        "worker (PENDING); no body is needed.",
        parameters=[SEGMENT_ID],
        request=None,
        responses={
            202: SegmentEvaluationResponseSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="The segment has no rule (criteria)."
            ),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.post)
    return view
