"""HTTP endpoint of a segment's rule evaluation: its latest status, and "evaluate now"."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.evaluations import evaluation_document
from ..selectors.evaluations import evaluation_latest
from ..selectors.segments import segment_get
from ..services.evaluations import segment_evaluation_start
from . import evaluation_schemas as schemas

# As for the segment itself: reading needs segment_read, starting work segment_manage.
READ = frozenset({scopes.SEGMENT_READ})
MANAGE = frozenset({scopes.SEGMENT_MANAGE})


@schemas.segment_evaluation
class SegmentEvaluationView(TenantAPIView):
    required_scopes = {"GET": READ, "POST": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-segment-evaluation",
        "POST": "POST-customer-segment-evaluate-segment",
    }

    def get(self, request: Request, tenant: str, segment_id: str) -> Response:
        segment = segment_get(tenant=tenant, segment_id=segment_id)
        evaluation = evaluation_latest(tenant=tenant, segment=segment)
        return Response(evaluation_document(segment.public_id, evaluation))

    def post(self, request: Request, tenant: str, segment_id: str) -> Response:
        evaluation = segment_evaluation_start(tenant=tenant, segment_id=segment_id)
        return Response(evaluation_document(segment_id, evaluation), status=202)
