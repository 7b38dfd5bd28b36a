"""HTTP endpoints of the Segments resource (the vendor's "Segments" tag)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.bulk import upsert_element
from segments_project.api.documents import clean_id
from segments_project.api.responses import bulk_response, projected
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.criteria import preview_criteria, preview_document
from ..documents.directory import customer_document
from ..documents.segments import SEGMENT_QUERY_FIELDS, segment_document
from ..models import Segment
from ..selectors.criteria import criteria_preview
from ..selectors.membership import segments_of_customer
from ..selectors.segments import segment_get, segments_visible_to
from ..services import segments as services
from . import segment_filters as filters
from . import segment_schemas as schemas

READ = frozenset({scopes.SEGMENT_READ, scopes.SEGMENT_READ_OWN})
MANAGE = frozenset({scopes.SEGMENT_MANAGE})


class SegmentReadMixin:
    """Listing shared by GET /segments and POST /segments/search."""

    def segments_list(self: Any, request: Request, q: str | None) -> Response:
        queryset = segments_visible_to(tenant=self.tenant, principal=self.principal)
        params = self.query_filters()
        customer_id = params["customerId"]
        if customer_id and not self.principal.is_customer:
            queryset = segments_of_customer(
                tenant=self.tenant,
                customer_id=clean_id(customer_id, "customerId"),
                legal_entity_id=params["legalEntityId"],
            )
        languages = self.languages
        return self.list_response(
            queryset,
            render=lambda segment: segment_document(segment, languages),
            fields=SEGMENT_QUERY_FIELDS,
            q=q,
        )


@schemas.segment_collection
class SegmentCollectionView(SegmentReadMixin, TenantAPIView):
    required_scopes = {"GET": READ, "POST": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-segments",
        "POST": "POST-customer-segment-create-segment",
    }
    filtersets = {"GET": filters.SegmentListFilterSet}

    def get(self, request: Request, tenant: str) -> Response:
        return self.segments_list(request, request.query_params.get("q"))

    def post(self, request: Request, tenant: str) -> Response:
        segment = services.segment_create(
            tenant=tenant, document=request.data, content_language=self.content_language
        )
        return self.created(segment.public_id)


@schemas.segment_search
class SegmentSearchView(SegmentReadMixin, TenantAPIView):
    required_scopes = {"POST": READ}
    operation_ids = {"POST": "POST-customer-segment-search-segments"}
    filtersets = {"POST": filters.SegmentListFilterSet}

    def post(self, request: Request, tenant: str) -> Response:
        return self.segments_list(request, self.search_query())


@schemas.criteria_preview
class CriteriaPreviewView(TenantAPIView):
    """What a rule would select, now, without saving anything (the editor's live count)."""

    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-customer-segment-preview-criteria"}

    def post(self, request: Request, tenant: str) -> Response:
        preview = criteria_preview(tenant=tenant, criteria=preview_criteria(request.data))
        sample = [customer_document(customer) for customer in preview.sample]
        return Response(preview_document(preview.count, preview.total_customers, sample))


@schemas.segment_detail
class SegmentDetailView(TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-segment-retrieve-segment",
        "PUT": "PUT-customer-segment-update-segment",
        "PATCH": "PATCH-customer-segment-update-segment",
        "DELETE": "DELETE-customer-segment-remove-segment",
    }

    def get(self, request: Request, tenant: str, segment_id: str) -> Response:
        segment = segment_get(tenant=tenant, segment_id=segment_id, principal=self.principal)
        return projected(request, segment_document(segment, self.languages))

    def put(self, request: Request, tenant: str, segment_id: str) -> Response:
        segment, created = services.segment_upsert(
            tenant=tenant,
            segment_id=segment_id,
            document=request.data,
            content_language=self.content_language,
        )
        return self.upserted(segment.public_id, created)

    def patch(self, request: Request, tenant: str, segment_id: str) -> Response:
        services.segment_patch(
            tenant=tenant,
            segment_id=segment_id,
            patch=request.data,
            content_language=self.content_language,
        )
        return Response(status=204)

    def delete(self, request: Request, tenant: str, segment_id: str) -> Response:
        services.segment_delete(
            tenant=tenant, segment_id=segment_id, force=self.query_param_bool("forceDelete")
        )
        return Response(status=204)


@schemas.segment_bulk
class SegmentBulkView(TenantAPIView):
    required_scopes = {"POST": MANAGE, "PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "POST": "POST-customer-segment-create-segments-bulk",
        "PUT": "PUT-customer-segment-update-segments-bulk",
        "DELETE": "DELETE-customer-segment-remove-segments-bulk",
    }

    def post(self, request: Request, tenant: str) -> Response:
        create = self._segment_create(tenant)
        return bulk_response(request.data, lambda index, element: (201, create(element).public_id))

    def put(self, request: Request, tenant: str) -> Response:
        language = self.content_language

        def upsert(segment_id: str, element: dict[str, Any]) -> tuple[Segment, bool]:
            return services.segment_upsert(
                tenant=tenant, segment_id=segment_id, document=element, content_language=language
            )

        return bulk_response(
            request.data, upsert_element("segment", upsert, create=self._segment_create(tenant))
        )

    def delete(self, request: Request, tenant: str) -> Response:
        force = self.query_param_bool("forceDelete")

        def remove(index: int, element: Any) -> tuple[int, str]:
            segment_id = clean_id(element)
            services.segment_delete(tenant=tenant, segment_id=segment_id, force=force)
            return 204, segment_id

        return bulk_response(request.data, remove)

    def _segment_create(self, tenant: str) -> Callable[[dict[str, Any]], Segment]:
        """`services.segment_create` of one element, in the request's Content-Language."""
        language = self.content_language
        return lambda element: services.segment_create(
            tenant=tenant, document=element, content_language=language
        )
