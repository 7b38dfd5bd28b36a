"""HTTP endpoints of categories and category trees."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.documents import clean_id, invalid
from segments_project.api.responses import projected
from segments_project.errors import NotFound
from segments_project.tenancy import scopes

from ..documents.categories import CATEGORY_QUERY_FIELDS, category_document
from ..models import Category
from ..selectors import categories as tree
from ..selectors.categories import category_get
from ..services import categories as services
from . import category_filters as filters
from . import category_schemas as schemas
from .reading import OPEN_READ as READ
from .reading import CatalogView

MANAGE = frozenset({scopes.CATEGORY_MANAGE})


def _render(category: Category, languages) -> dict[str, Any]:
    parent_id = category.parent.public_id if category.parent_id else None
    return category_document(category, languages, parent_public_id=parent_id)


class CategoryView(CatalogView):
    def visible_category(self, category_id: str) -> Category:
        """The category of the path, or 404 when it is hidden from the caller."""
        return category_get(
            tenant=self.tenant,
            category_id=category_id,
            show_unpublished=self.sees_unpublished_categories,
        )

    def forest(self, root_ids: list[str] | None) -> list[dict[str, Any]]:
        """The trees (at `root_ids`, or of the whole forest), honouring `showUnpublished`."""
        return tree.category_forest(
            tenant=self.tenant,
            languages=self.languages,
            show_unpublished=self.show_unpublished(),
            root_ids=root_ids,
        )

    def tree_of(self, root_id: str) -> Response:
        """The tree starting at the category, or 404 (missing, or hidden without
        `showUnpublished`)."""
        forest = self.forest([root_id])
        if not forest:
            raise NotFound(
                f"Category tree for category with id {root_id} not found.", resource_id=root_id
            )
        return Response(forest[0])

    def categories_list(self, q: str | None) -> Response:
        queryset = tree.categories_list(
            tenant=self.tenant,
            show_roots=self.query_filters()["showRoots"],
            show_unpublished=self.show_unpublished(),
        )
        return self.categories_response(queryset, q)

    def categories_response(self, queryset: QuerySet[Category], q: str | None = None) -> Response:
        languages = self.languages
        return self.list_response(
            queryset,
            render=lambda category: _render(category, languages),
            fields=CATEGORY_QUERY_FIELDS,
            q=q,
        )


@schemas.category_collection
class CategoryCollectionView(CategoryView):
    required_scopes = {"GET": READ, "POST": MANAGE}
    filtersets = {"GET": filters.CategoryListFilterSet}
    operation_ids = {
        "GET": "GET-category-tree-list-categories",
        "POST": "POST-category-tree-create-category",
    }

    def get(self, request: Request, tenant: str) -> Response:
        return self.categories_list(request.query_params.get("q"))

    def post(self, request: Request, tenant: str) -> Response:
        category = services.category_create(
            tenant=tenant, document=request.data, content_language=self.content_language
        )
        return self.created(category.public_id)


@schemas.category_search
class CategorySearchView(CategoryView):
    required_scopes = {"POST": READ}
    operation_ids = {"POST": "POST-category-tree-search-categories"}
    filtersets = {"POST": filters.CategoryListFilterSet}

    def post(self, request: Request, tenant: str) -> Response:
        body = request.data if request.data is not None else {}
        if not isinstance(body, dict) or not isinstance(body.get("q", ""), str):
            raise invalid("q", "The search body must be an object with a string q.")
        return self.categories_list(body.get("q"))


@schemas.category_detail
class CategoryDetailView(CategoryView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-category-tree-retrieve-category",
        "PUT": "PUT-category-tree-update-category",
        "PATCH": "PATCH-category-tree-update-category",
        "DELETE": "DELETE-category-tree-remove-category",
    }

    def get(self, request: Request, tenant: str, category_id: str) -> Response:
        category = self.visible_category(category_id)
        return projected(request, _render(category, self.languages))

    def put(self, request: Request, tenant: str, category_id: str) -> Response:
        category, created = services.category_upsert(
            tenant=tenant,
            category_id=category_id,
            document=request.data,
            content_language=self.content_language,
        )
        return self.upserted(category.public_id, created)

    def patch(self, request: Request, tenant: str, category_id: str) -> Response:
        services.category_patch(
            tenant=tenant,
            category_id=category_id,
            patch=request.data,
            content_language=self.content_language,
        )
        return Response(status=204)

    def delete(self, request: Request, tenant: str, category_id: str) -> Response:
        services.category_delete(
            tenant=tenant,
            category_id=category_id,
            with_subcategories=self.query_param_bool("withSubcategories"),
        )
        return Response(status=204)


@schemas.category_subcategories
class SubcategoriesView(CategoryView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-category-tree-list-subcategories"}
    filtersets = {"GET": filters.SubcategoryFilterSet}

    def get(self, request: Request, tenant: str, category_id: str) -> Response:
        category = self.visible_category(category_id)
        queryset = tree.subcategories(
            category=category,
            depth=self.query_filters()["depth"],
            show_unpublished=self.show_unpublished(),
        )
        return self.categories_response(queryset)


@schemas.category_parents
class ParentsView(CategoryView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-category-tree-retrieve-category-parents"}

    def get(self, request: Request, tenant: str, category_id: str) -> Response:
        category = self.visible_category(category_id)
        languages = self.languages
        return Response([_render(parent, languages) for parent in tree.parents(category=category)])


@schemas.category_trees
class CategoryTreesView(CategoryView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-category-tree-retrieve-category-tree"}
    filtersets = {"GET": filters.CategoryTreesFilterSet}

    def get(self, request: Request, tenant: str) -> Response:
        return Response(self.forest(self.query_filters()["categoryIds"]))


@schemas.category_tree_search
class CategoryTreeSearchView(CategoryView):
    """The trees starting at the body's `categoryIds`, as `GET category-trees?categoryIds=`."""

    required_scopes = {"POST": READ}
    operation_ids = {"POST": "POST-category-tree-search-category-trees"}
    filtersets = {"POST": filters.CategoryReadFilterSet}

    def post(self, request: Request, tenant: str) -> Response:
        return Response(self.forest(filters.search_category_ids(request.data)))


@schemas.category_tree
class CategoryTreeView(CategoryView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-category-tree-retrieve-category-tree-by-id"}
    filtersets = {"GET": filters.CategoryReadFilterSet}

    def get(self, request: Request, tenant: str, category_id: str) -> Response:
        return self.tree_of(category_id)


@schemas.category_tree_rebuild
class CategoryTreeRebuildView(CategoryView):
    """Verifies the stored paths, depths and sibling positions of a root's tree against
    its parent links, repairs what disagrees, and answers the tree as
    `GET category-trees/{id}` does."""

    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-category-tree-rebuild-category-tree"}
    filtersets = {"POST": filters.CategoryReadFilterSet}

    def post(self, request: Request, tenant: str, root_category_id: str) -> Response:
        clean_id(root_category_id, "rootCategoryId")
        self.show_unpublished()  # a 403 for the parameter comes before any write
        services.category_tree_rebuild(tenant=tenant, root_category_id=root_category_id)
        return self.tree_of(root_category_id)


@schemas.category_tree_deprecated
class DeprecatedCategoryTreeView(CategoryView):
    """The published categories as one tree, in the vendor's deprecated shape (deprecated
    there too: use `GET category-trees`)."""

    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-category-tree-retrieve-category-tree-deprecated"}

    def get(self, request: Request, tenant: str) -> Response:
        return Response(tree.deprecated_category_tree(tenant=tenant, languages=self.languages))
