"""HTTP endpoints of the Products resource."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.bulk import upsert_element
from segments_project.api.responses import bulk_response, projected
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.products import PRODUCT_QUERY_FIELDS, product_document
from ..models import Product
from ..selectors.products import product_get, products_of_tenant
from ..services import products as services
from . import product_schemas as schemas
from .reading import OPEN_READ as READ
from .reading import CatalogView

MANAGE = frozenset({scopes.PRODUCT_MANAGE})


class ProductView(CatalogView):
    def products_list(self, q: str | None) -> Response:
        """The products the caller sees, filtered by `q`, sorted, paged and projected."""
        languages = self.languages
        return self.list_response(
            products_of_tenant(tenant=self.tenant, show_unpublished=self.sees_unpublished_products),
            render=lambda product: product_document(product, languages),
            fields=PRODUCT_QUERY_FIELDS,
            q=q,
        )


@schemas.product_collection
class ProductCollectionView(ProductView):
    required_scopes = {"GET": READ, "POST": MANAGE}
    operation_ids = {
        "GET": "GET-product-list-products",
        "POST": "POST-product-create-product",
    }

    def get(self, request: Request, tenant: str) -> Response:
        return self.products_list(request.query_params.get("q"))

    def post(self, request: Request, tenant: str) -> Response:
        product = services.product_create(
            tenant=tenant, document=request.data, content_language=self.content_language
        )
        return self.created(product.public_id)


@schemas.product_search
class ProductSearchView(ProductView):
    """Lists products like GET /products, with `q` in the body (`{"q": "..."}`);
    paging, sorting and `fields` are query parameters."""

    required_scopes = {"POST": READ}
    operation_ids = {"POST": "POST-product-search-products"}

    def post(self, request: Request, tenant: str) -> Response:
        return self.products_list(self.search_query())


@schemas.product_detail
class ProductDetailView(ProductView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-product-retrieve-product",
        "PUT": "PUT-product-update-product",
        "PATCH": "PATCH-product-update-product",
        "DELETE": "DELETE-product-remove-product",
    }

    def get(self, request: Request, tenant: str, product_id: str) -> Response:
        product = product_get(
            tenant=tenant,
            product_id=product_id,
            show_unpublished=self.sees_unpublished_products,
        )
        return projected(request, product_document(product, self.languages))

    def put(self, request: Request, tenant: str, product_id: str) -> Response:
        product, created = services.product_upsert(
            tenant=tenant,
            product_id=product_id,
            document=request.data,
            content_language=self.content_language,
        )
        return self.upserted(product.public_id, created)

    def patch(self, request: Request, tenant: str, product_id: str) -> Response:
        services.product_patch(
            tenant=tenant,
            product_id=product_id,
            patch=request.data,
            content_language=self.content_language,
        )
        return Response(status=204)

    def delete(self, request: Request, tenant: str, product_id: str) -> Response:
        services.product_delete(tenant=tenant, product_id=product_id)
        return Response(status=204)


@schemas.product_bulk
class ProductBulkView(TenantAPIView):
    required_scopes = {"PUT": MANAGE}
    operation_ids = {"PUT": "PUT-product-upsert-products-bulk"}

    def put(self, request: Request, tenant: str) -> Response:
        language = self.content_language

        def create(element: dict[str, Any]) -> Product:
            return services.product_create(
                tenant=tenant, document=element, content_language=language
            )

        def upsert(product_id: str, element: dict[str, Any]) -> tuple[Product, bool]:
            return services.product_upsert(
                tenant=tenant, product_id=product_id, document=element, content_language=language
            )

        return bulk_response(request.data, upsert_element("product", upsert, create=create))
