"""HTTP endpoints of a segment's members (the vendor's "Customers Assignments" tag)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.bulk import bulk_elements
from segments_project.api.responses import outcomes_response, projected
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.members import (
    CUSTOMER_ASSIGNMENT_QUERY_FIELDS,
    customer_assignment_document,
    member_key,
)
from ..selectors import members as selectors
from ..services import members as services
from . import member_schemas as schemas

READ = frozenset({scopes.SEGMENT_READ})
READ_OR_OWN = frozenset({scopes.SEGMENT_READ, scopes.SEGMENT_READ_OWN})
MANAGE = frozenset({scopes.SEGMENT_MANAGE})


class CustomerAssignmentListMixin:
    """Listing shared by GET /customers and POST /customers/search."""

    def assignments_list(self: Any, segment_id: str, q: str | None) -> Response:
        segment = selectors.member_segment_get(
            tenant=self.tenant, segment_id=segment_id, principal=self.principal
        )
        queryset = selectors.customer_assignments(
            tenant=self.tenant, segment=segment, principal=self.principal
        )
        return self.list_response(
            queryset,
            render=customer_assignment_document,
            fields=CUSTOMER_ASSIGNMENT_QUERY_FIELDS,
            q=q,
        )


@schemas.customer_assignment_collection
class CustomerAssignmentCollectionView(CustomerAssignmentListMixin, TenantAPIView):
    required_scopes = {"GET": READ_OR_OWN}
    operation_ids = {"GET": "GET-customer-segment-retrieve-customers"}

    def get(self, request: Request, tenant: str, segment_id: str) -> Response:
        return self.assignments_list(segment_id, request.query_params.get("q"))


@schemas.customer_assignment_search
class CustomerAssignmentSearchView(CustomerAssignmentListMixin, TenantAPIView):
    required_scopes = {"POST": READ}
    operation_ids = {"POST": "POST-customer-segment-search-customers"}

    def post(self, request: Request, tenant: str, segment_id: str) -> Response:
        return self.assignments_list(segment_id, self.search_query())


@schemas.customer_assignment_bulk
class CustomerAssignmentBulkView(TenantAPIView):
    required_scopes = {"PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "PUT": "PUT-customer-segment-update-customers-bulk",
        "DELETE": "DELETE-customer-segment-remove-customers-bulk",
    }

    def put(self, request: Request, tenant: str, segment_id: str) -> Response:
        outcomes = services.customer_assignments_upsert_bulk(
            tenant=tenant, segment_id=segment_id, documents=bulk_elements(request.data)
        )
        return outcomes_response(outcomes)

    def delete(self, request: Request, tenant: str, segment_id: str) -> Response:
        outcomes = services.customer_assignments_delete_bulk(
            tenant=tenant, segment_id=segment_id, documents=bulk_elements(request.data)
        )
        return outcomes_response(outcomes)


class CustomerAssignmentDetailMixin:
    """One assignment, addressed by the customer id and, for B2B, the legal entity id."""

    def detail_get(
        self: Any, segment_id: str, customer_id: str, legal_entity_id: str | None
    ) -> Response:
        assignment = selectors.customer_assignment_get(
            tenant=self.tenant,
            segment_id=segment_id,
            key=member_key(customer_id, legal_entity_id),
        )
        return projected(self.request, customer_assignment_document(assignment))

    def detail_put(
        self: Any, segment_id: str, customer_id: str, legal_entity_id: str | None
    ) -> Response:
        created = services.customer_assignment_upsert(
            tenant=self.tenant,
            segment_id=segment_id,
            customer_id=customer_id,
            legal_entity_id=legal_entity_id,
            document=self.request.data,
        )
        return Response(status=201 if created else 204)

    def detail_delete(
        self: Any, segment_id: str, customer_id: str, legal_entity_id: str | None
    ) -> Response:
        services.customer_assignment_delete(
            tenant=self.tenant,
            segment_id=segment_id,
            customer_id=customer_id,
            legal_entity_id=legal_entity_id,
        )
        return Response(status=204)


@schemas.customer_assignment_b2c
class CustomerAssignmentB2CView(CustomerAssignmentDetailMixin, TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-customer-by-customerId",
        "PUT": "PUT-customer-segment-update-customer-by-customerId",
        "DELETE": "DELETE-customer-segment-remove-customer-by-customerId",
    }

    def get(self, request: Request, tenant: str, segment_id: str, customer_id: str) -> Response:
        return self.detail_get(segment_id, customer_id, None)

    def put(self, request: Request, tenant: str, segment_id: str, customer_id: str) -> Response:
        return self.detail_put(segment_id, customer_id, None)

    def delete(self, request: Request, tenant: str, segment_id: str, customer_id: str) -> Response:
        return self.detail_delete(segment_id, customer_id, None)


@schemas.customer_assignment_b2b
class CustomerAssignmentB2BView(CustomerAssignmentDetailMixin, TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-customer",
        "PUT": "PUT-customer-segment-update-customer",
        "DELETE": "DELETE-customer-segment-remove-customer",
    }

    def get(
        self, request: Request, tenant: str, segment_id: str, customer_id: str, legal_entity_id: str
    ) -> Response:
        return self.detail_get(segment_id, customer_id, legal_entity_id)

    def put(
        self, request: Request, tenant: str, segment_id: str, customer_id: str, legal_entity_id: str
    ) -> Response:
        return self.detail_put(segment_id, customer_id, legal_entity_id)

    def delete(
        self, request: Request, tenant: str, segment_id: str, customer_id: str, legal_entity_id: str
    ) -> Response:
        return self.detail_delete(segment_id, customer_id, legal_entity_id)
