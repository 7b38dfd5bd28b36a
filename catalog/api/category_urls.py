"""Routes under /category/<tenant>/: categories, trees and product assignments."""

from django.urls import path

from . import category_views as views
from .assignment_urls import urlpatterns as assignment_urlpatterns

urlpatterns = [
    path("categories", views.CategoryCollectionView.as_view(), name="categories"),
    path("categories/search", views.CategorySearchView.as_view(), name="categories-search"),
    path("category-trees", views.CategoryTreesView.as_view(), name="category-trees"),
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
