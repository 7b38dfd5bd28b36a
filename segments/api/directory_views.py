"""HTTP endpoints of the customer directory: customers and legal entities (/customer)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.bulk import upsert_element
from segments_project.api.responses import bulk_response, projected
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.directory import (
    CUSTOMER_QUERY_FIELDS,
    LEGAL_ENTITY_QUERY_FIELDS,
    customer_document,
    legal_entity_document,
)
from ..selectors import directory as selectors
from ..services import directory as services
from . import directory_schemas as schemas

READ = frozenset({scopes.CUSTOMER_READ, scopes.CUSTOMER_MANAGE})
MANAGE = frozenset({scopes.CUSTOMER_MANAGE})


# --- customers -------------------------------------------------------------------------------


@schemas.customer_collection
class CustomerCollectionView(TenantAPIView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-customer-list-customers"}

    def get(self, request: Request, tenant: str) -> Response:
        return self.list_response(
            selectors.customers_of_tenant(tenant=tenant, q=request.query_params.get("q")),
            render=customer_document,
            fields=CUSTOMER_QUERY_FIELDS,
        )


@schemas.customer_detail
class CustomerDetailView(TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-retrieve-customer",
        "PUT": "PUT-customer-upsert-customer",
        "PATCH": "PATCH-customer-update-customer",
        "DELETE": "DELETE-customer-remove-customer",
    }

    def get(self, request: Request, tenant: str, customer_id: str) -> Response:
        customer = selectors.customer_get(tenant=tenant, customer_id=customer_id)
        return projected(request, customer_document(customer))

    def put(self, request: Request, tenant: str, customer_id: str) -> Response:
        customer, created = services.customer_upsert(
            tenant=tenant, customer_id=customer_id, document=request.data
        )
        return self.upserted(customer.public_id, created)

    def patch(self, request: Request, tenant: str, customer_id: str) -> Response:
        services.customer_patch(tenant=tenant, customer_id=customer_id, patch=request.data)
        return Response(status=204)

    def delete(self, request: Request, tenant: str, customer_id: str) -> Response:
        services.customer_delete(tenant=tenant, customer_id=customer_id)
        return Response(status=204)


@schemas.customer_bulk
class CustomerBulkView(TenantAPIView):
    required_scopes = {"PUT": MANAGE}
    operation_ids = {"PUT": "PUT-customer-upsert-customers-bulk"}

    def put(self, request: Request, tenant: str) -> Response:
        def upsert(customer_id: str, element: dict[str, Any]) -> tuple[Any, bool]:
            return services.customer_upsert(
                tenant=tenant, customer_id=customer_id, document=element
            )

        return bulk_response(request.data, upsert_element("customer", upsert))


# --- legal entities --------------------------------------------------------------------------


@schemas.legal_entity_collection
class LegalEntityCollectionView(TenantAPIView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-customer-list-legal-entities"}

    def get(self, request: Request, tenant: str) -> Response:
        return self.list_response(
            selectors.legal_entities_of_tenant(tenant=tenant),
            render=legal_entity_document,
            fields=LEGAL_ENTITY_QUERY_FIELDS,
            q=request.query_params.get("q"),
        )


@schemas.legal_entity_detail
class LegalEntityDetailView(TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-customer-retrieve-legal-entity",
        "PUT": "PUT-customer-upsert-legal-entity",
        "PATCH": "PATCH-customer-update-legal-entity",
        "DELETE": "DELETE-customer-remove-legal-entity",
    }

    def get(self, request: Request, tenant: str, legal_entity_id: str) -> Response:
        legal_entity = selectors.legal_entity_get(tenant=tenant, legal_entity_id=legal_entity_id)
        return projected(request, legal_entity_document(legal_entity))

    def put(self, request: Request, tenant: str, legal_entity_id: str) -> Response:
        legal_entity, created = services.legal_entity_upsert(
            tenant=tenant, legal_entity_id=legal_entity_id, document=request.data
        )
        return self.upserted(legal_entity.public_id, created)

    def patch(self, request: Request, tenant: str, legal_entity_id: str) -> Response:
        services.legal_entity_patch(
            tenant=tenant, legal_entity_id=legal_entity_id, patch=request.data
        )
        return Response(status=204)

    def delete(self, request: Request, tenant: str, legal_entity_id: str) -> Response:
        services.legal_entity_delete(tenant=tenant, legal_entity_id=legal_entity_id)
        return Response(status=204)


@schemas.legal_entity_bulk
class LegalEntityBulkView(TenantAPIView):
    required_scopes = {"PUT": MANAGE}
    operation_ids = {"PUT": "PUT-customer-upsert-legal-entities-bulk"}

    def put(self, request: Request, tenant: str) -> Response:
        def upsert(legal_entity_id: str, element: dict[str, Any]) -> tuple[Any, bool]:
            return services.legal_entity_upsert(
                tenant=tenant, legal_entity_id=legal_entity_id, document=element
            )

        return bulk_response(request.data, upsert_element("legal entity", upsert))
