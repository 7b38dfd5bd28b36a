"""`GET /segments/explain`: why a customer sees (or does not see) what the storefront shows."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.documents import invalid
from segments_project.api.views import TenantAPIView
from segments_project.errors import PermissionDenied
from segments_project.tenancy import scopes
from segments_project.tenancy.permissions import missing_scope

from ..documents.explain import explanation_document
from ..selectors.explain import explain_customer
from . import explain_filters as filters
from . import explain_schemas as schemas

TENANT_WIDE = frozenset({scopes.SEGMENT_READ, scopes.SEGMENT_MANAGE})


@schemas.segments_explain
class SegmentExplainView(TenantAPIView):
    """Tenant-wide readers explain any customer; a customer token only its own customer."""

    required_scopes = {"GET": TENANT_WIDE | {scopes.SEGMENT_READ_OWN}}
    operation_ids = {"GET": "GET-customer-segment-explain"}
    filtersets = {"GET": filters.ExplainFilterSet}

    def get(self, request: Request, tenant: str) -> Response:
        params = self.query_filters()
        customer_id = params["customerId"]
        legal_entity_id = params["legalEntityId"]
        principal = self.principal
        if principal.is_customer:
            if customer_id not in (None, principal.customer_id):
                raise PermissionDenied(
                    "A customer token may explain only its own customer.",
                    resource_id=customer_id,
                )
            customer_id = principal.customer_id
            legal_entity_id = legal_entity_id or principal.legal_entity_id
        elif not principal.has_any_scope(TENANT_WIDE):
            raise missing_scope(TENANT_WIDE)
        elif customer_id is None:
            raise invalid("customerId", "customerId is required.", type="required")
        site_code = params["siteCode"]
        item_type, item_id = params["itemType"], params["itemId"]
        if item_id is not None and item_type is None:
            raise invalid("itemType", "itemType is required with itemId.", type="required")
        if item_type is not None and item_id is None:
            raise invalid("itemId", "itemId is required with itemType.", type="required")
        explanation = explain_customer(
            tenant=tenant,
            customer_id=customer_id,
            legal_entity_id=legal_entity_id,
            site_code=site_code,
            at=timezone.now(),
            item_type=item_type,
            item_id=item_id,
        )
        return Response(explanation_document(explanation, self.languages))
