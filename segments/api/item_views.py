"""HTTP endpoints of a segment's item assignments (the vendor's "Items Assignments" tag)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.bulk import bulk_elements
from segments_project.api.documents import clean_id
from segments_project.api.responses import outcomes_response, projected
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.items import (
    ITEM_ASSIGNMENT_QUERY_FIELDS,
    item_assignment_document,
)
from ..models import Segment
from ..selectors import items as selectors
from ..services import items as services
from . import item_schemas as schemas

READ = frozenset({scopes.SEGMENT_READ, scopes.SEGMENT_READ_OWN})
MANAGE = frozenset({scopes.SEGMENT_MANAGE})


class ItemAssignmentReadMixin:
    """The segment a read is about, as visible to the caller, and the list answer."""

    def readable_segment(self: Any, segment_id: str) -> Segment:
        legal_entity_id = self.request.query_params.get("legalEntityId") or None
        if legal_entity_id is not None:
            clean_id(legal_entity_id, "legalEntityId")
        return selectors.item_segment_get(
            tenant=self.tenant,
            segment_id=segment_id,
            principal=self.principal,
            legal_entity_id=legal_entity_id,
        )

    def items_list(self: Any, segment_id: str, q: str | None) -> Response:
        segment = self.readable_segment(segment_id)
        languages = self.languages
        return self.list_response(
            selectors.item_assignments_of(segment=segment),
            render=lambda assignment: item_assignment_document(assignment, languages),
            fields=ITEM_ASSIGNMENT_QUERY_FIELDS,
            q=q,
        )


@schemas.item_collection
class ItemAssignmentCollectionView(ItemAssignmentReadMixin, TenantAPIView):
    """The products and categories assigned to a segment."""

    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-customer-segment-retrieve-segment-items"}

    def get(self, request: Request, tenant: str, segment_id: str) -> Response:
        return self.items_list(segment_id, request.query_params.get("q"))


@schemas.item_search
class ItemAssignmentSearchView(ItemAssignmentReadMixin, TenantAPIView):
    """The products and categories assigned to a segment, filtered by a `q` in the body."""

    required_scopes = {"POST": READ}
    operation_ids = {"POST": "POST-customer-segment-search-items"}

    def post(self, request: Request, tenant: str, segment_id: str) -> Response:
        return self.items_list(segment_id, self.search_query())


@schemas.item_detail
class ItemAssignmentDetailView(ItemAssignmentReadMixin, TenantAPIView):
    """One product or category of a segment."""

    required_scopes = {"GET": READ, "PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-item",
        "PUT": "PUT-customer-segment-update-item",
        "DELETE": "DELETE-customer-segment-remove-item",
    }

    def get(
        self, request: Request, tenant: str, segment_id: str, item_type: str, item_id: str
    ) -> Response:
        segment = self.readable_segment(segment_id)
        assignment = selectors.item_assignment_get(
            segment=segment, item_type=item_type, item_id=item_id
        )
        document = item_assignment_document(assignment, self.languages)
        return projected(request, document)

    def put(
        self, request: Request, tenant: str, segment_id: str, item_type: str, item_id: str
    ) -> Response:
        created = services.item_assignment_upsert(
            tenant=tenant,
            segment_id=segment_id,
            item_type=item_type,
            item_id=item_id,
            document=request.data,
        )
        # The vendor documents both answers without a body.
        return Response(status=201 if created else 204)

    def delete(
        self, request: Request, tenant: str, segment_id: str, item_type: str, item_id: str
    ) -> Response:
        services.item_assignment_delete(
            tenant=tenant, segment_id=segment_id, item_type=item_type, item_id=item_id
        )
        return Response(status=204)


@schemas.item_bulk
class ItemAssignmentBulkView(TenantAPIView):
    """Many products or many categories of a segment at once (207, one entry per element)."""

    required_scopes = {"PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "PUT": "PUT-customer-segment-update-items-bulk",
        "DELETE": "DELETE-customer-segment-remove-items-bulk",
    }

    def put(self, request: Request, tenant: str, segment_id: str, item_type: str) -> Response:
        outcomes = services.item_assignments_upsert_bulk(
            tenant=tenant,
            segment_id=segment_id,
            item_type=item_type,
            documents=bulk_elements(request.data),
        )
        return outcomes_response(outcomes)

    def delete(self, request: Request, tenant: str, segment_id: str, item_type: str) -> Response:
        outcomes = services.item_assignments_delete_bulk(
            tenant=tenant,
            segment_id=segment_id,
            item_type=item_type,
            item_ids=bulk_elements(request.data),
        )
        return outcomes_response(outcomes)
