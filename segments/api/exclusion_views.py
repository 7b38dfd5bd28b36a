"""HTTP endpoints of a segment's exclusions: customers never made AUTOMATIC members."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.responses import projected
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.exclusions import EXCLUSION_QUERY_FIELDS, exclusion_document
from ..selectors import exclusions as selectors
from ..selectors.segments import segment_get
from ..services import exclusions as services
from . import exclusion_schemas as schemas

# The scopes of the segment's members: reading them needs segment_read, changing them
# segment_manage.
READ = frozenset({scopes.SEGMENT_READ})
MANAGE = frozenset({scopes.SEGMENT_MANAGE})


@schemas.exclusion_collection
class ExclusionCollectionView(TenantAPIView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-customer-segment-retrieve-exclusions"}

    def get(self, request: Request, tenant: str, segment_id: str) -> Response:
        segment = segment_get(tenant=tenant, segment_id=segment_id)
        return self.list_response(
            selectors.exclusions_of(tenant=tenant, segment=segment),
            render=exclusion_document,
            fields=EXCLUSION_QUERY_FIELDS,
            q=request.query_params.get("q"),
        )


@schemas.exclusion_detail
class ExclusionDetailView(TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-exclusion",
        "PUT": "PUT-customer-segment-exclude-customer",
        "DELETE": "DELETE-customer-segment-remove-exclusion",
    }

    def get(self, request: Request, tenant: str, segment_id: str, customer_id: str) -> Response:
        exclusion = selectors.exclusion_get(
            tenant=tenant, segment_id=segment_id, customer_id=customer_id
        )
        return projected(request, exclusion_document(exclusion))

    def put(self, request: Request, tenant: str, segment_id: str, customer_id: str) -> Response:
        created = services.exclusion_put(
            tenant=tenant, segment_id=segment_id, customer_id=customer_id
        )
        return Response(status=201 if created else 204)

    def delete(self, request: Request, tenant: str, segment_id: str, customer_id: str) -> Response:
        services.exclusion_delete(tenant=tenant, segment_id=segment_id, customer_id=customer_id)
        return Response(status=204)
