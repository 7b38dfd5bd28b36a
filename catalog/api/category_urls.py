"""Routes under /category/<tenant>/: categories, trees and product assignments."""

from django.urls import path

from . import category_views as views
from .assignment_urls import urlpatterns as assignment_urlpatterns

# The fixed segments (`search`, `categoryTree`) come before the routes that take an id in
# their place, which would otherwise take them for one.
urlpatterns = [
    path("categories", views.CategoryCollectionView.as_view(), name="categories"),
    path("categories/search", views.CategorySearchView.as_view(), name="categories-search"),
    path(
        "categories/categoryTree",
        views.DeprecatedCategoryTreeView.as_view(),
        name="categories-category-tree",
    ),
    path("category-trees", views.CategoryTreesView.as_view(), name="category-trees"),
    path(
        "category-trees/search",
        views.CategoryTreeSearchView.as_view(),
        name="category-trees-search",
    ),
    path(
        "category-trees/<str:root_category_id>/rebuild",
        views.CategoryTreeRebuildView.as_view(),
        name="category-tree-rebuild",
    ),
    path(
        "category-trees/<str:category_id>",
        views.CategoryTreeView.as_view(),
        name="category-tree",
    ),
    path(
        "categories/<str:category_id>/subcategories",
        views.SubcategoriesView.as_view(),
        name="category-subcategories",
    ),
    path(
        "categories/<str:category_id>/parents",
        views.ParentsView.as_view(),
        name="category-parents",
    ),
    *assignment_urlpatterns,
    path("categories/<str:category_id>", views.CategoryDetailView.as_view(), name="category"),
]
