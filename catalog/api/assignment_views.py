"""HTTP endpoints of products in categories (the vendor's "Category Assignment Resources"
and "Assignment Resources" tags)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.bulk import bulk_elements
from segments_project.api.responses import outcomes_response
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes

from ..documents.assignments import (
    ASSIGNMENT_SORT_FIELDS,
    assigned_category_document,
    assignment_document,
    clean_assignment_type,
)
from ..documents.categories import CATEGORY_QUERY_FIELDS
from ..models import Category
from ..selectors import assignments as assignment_selectors
from ..selectors.categories import category_get
from ..services import assignments as services
from . import assignment_filters as filters
from . import assignment_schemas as schemas
from .reading import OPEN_READ as READ
from .reading import CatalogView

MANAGE = frozenset({scopes.CATEGORY_MANAGE})


class AssignmentTypeMixin:
    def check_assignment_type(self: Any) -> None:
        """`assignmentType` may only name PRODUCT (the default)."""
        value = self.request.query_params.get("assignmentType")
        if value:
            clean_assignment_type(value, "assignmentType")


@schemas.assignment_collection
class CategoryAssignmentCollectionView(AssignmentTypeMixin, CatalogView):
    """The products of a category: list them, assign one, or remove them all."""

    required_scopes = {"GET": READ, "POST": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-category-tree-retrieve-category-assignments",
        "POST": "POST-category-tree-assign-resource",
        "DELETE": "DELETE-category-tree-remove-all-category-assignments",
    }
    filtersets = {"GET": filters.CategoryAssignmentFilterSet}

    def get(self, request: Request, tenant: str, category_id: str) -> Response:
        self.check_assignment_type()
        category = category_get(
            tenant=tenant,
            category_id=category_id,
            show_unpublished=self.sees_unpublished_categories,
        )
        params = self.query_filters()
        queryset = assignment_selectors.category_assignments(
            tenant=tenant,
            category=category,
            with_subcategories=params["withSubcategories"],
            show_unpublished=self.show_unpublished(),
            # Products the caller may not see are not named through their categories either.
            hide_unpublished_products=(
                params["hideUnpublishedProducts"] or not self.sees_unpublished_products
            ),
            product_ids=params["ref.id"],
            segment_ids=params["segmentsIds"],
        )
        languages = self.languages
        return self.list_response(
            queryset,
            render=lambda assignment: assignment_document(assignment, languages),
            fields=ASSIGNMENT_SORT_FIELDS,
        )

    def post(self, request: Request, tenant: str, category_id: str) -> Response:
        assignment = services.category_assignment_create(
            tenant=tenant, category_id=category_id, document=request.data
        )
        return self.created(assignment.public_id)

    def delete(self, request: Request, tenant: str, category_id: str) -> Response:
        self.check_assignment_type()
        services.category_assignments_delete_all(tenant=tenant, category_id=category_id)
        return Response(status=204)


@schemas.assignment_bulk
class CategoryAssignmentBulkView(TenantAPIView):
    """Assigns many products to a category at once (207, one entry per element)."""

    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-category-tree-assign-category-resources"}

    def post(self, request: Request, tenant: str, category_id: str) -> Response:
        outcomes = services.category_assignments_create_bulk(
            tenant=tenant, category_id=category_id, documents=bulk_elements(request.data)
        )
        return outcomes_response(outcomes)


@schemas.assignment_reference_bulk
class CategoryAssignmentReferenceBulkView(TenantAPIView):
    """Puts many products in a category unless they are there (207, one entry per element)."""

    required_scopes = {"PUT": MANAGE}
    operation_ids = {"PUT": "PUT-category-tree-update-category-assignments"}

    def put(self, request: Request, tenant: str, category_id: str) -> Response:
        outcomes = services.category_assignments_upsert_bulk(
            tenant=tenant, category_id=category_id, documents=bulk_elements(request.data)
        )
        return outcomes_response(outcomes)


@schemas.assignment_reference
class CategoryAssignmentReferenceView(TenantAPIView):
    """One product in one category, addressed by the product id."""

    required_scopes = {"PUT": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "PUT": "PUT-category-tree-assign-resource",
        "DELETE": "DELETE-category-tree-remove-category-assignment-by-reference-id",
    }

    def put(self, request: Request, tenant: str, category_id: str, reference_id: str) -> Response:
        assignment_id, created = services.category_assignment_upsert(
            tenant=tenant, category_id=category_id, product_id=reference_id
        )
        return self.upserted(assignment_id, created)

    def delete(
        self, request: Request, tenant: str, category_id: str, reference_id: str
    ) -> Response:
        services.category_assignment_delete_by_product(
            tenant=tenant, category_id=category_id, product_id=reference_id
        )
        return Response(status=204)


@schemas.assignment_detail
class CategoryAssignmentDetailView(TenantAPIView):
    """One assignment of a category, addressed by the assignment id."""

    required_scopes = {"DELETE": MANAGE}
    operation_ids = {"DELETE": "DELETE-category-tree-remove-category-assignment"}

    def delete(
        self, request: Request, tenant: str, category_id: str, assignment_id: str
    ) -> Response:
        services.category_assignment_delete(
            tenant=tenant, category_id=category_id, assignment_id=assignment_id
        )
        return Response(status=204)


@schemas.product_categories
class ProductCategoriesView(CatalogView):
    """The categories a product is in, across the tenant's forest."""

    required_scopes = {"GET": READ, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-category-tree-list-categories-by-reference-id",
        "DELETE": "DELETE-category-tree-remove-all-assignments",
    }
    filtersets = {"GET": filters.ProductCategoriesFilterSet}

    def get(self, request: Request, tenant: str, reference_id: str) -> Response:
        expand = self.query_filters()["expandSupercategoriesIds"]
        queryset = assignment_selectors.categories_of_product(
            tenant=tenant,
            product_id=reference_id,
            show_unpublished=self.show_unpublished(),
            show_unpublished_product=self.sees_unpublished_products,
        )
        ancestors: dict[int, list[str]] = {}  # the page's, fetched in one query

        def fetch_ancestors(page: list[Category]) -> None:
            ancestors.update(assignment_selectors.supercategory_ids(tenant=tenant, categories=page))

        languages = self.languages
        return self.list_response(
            queryset,
            prepare=fetch_ancestors if expand else None,
            render=lambda category: assigned_category_document(
                category, languages, supercategory_ids=ancestors.get(category.pk)
            ),
            fields=CATEGORY_QUERY_FIELDS,
        )

    def delete(self, request: Request, tenant: str, reference_id: str) -> Response:
        services.product_assignments_delete(tenant=tenant, product_id=reference_id)
        return Response(status=204)
