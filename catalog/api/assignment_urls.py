"""Routes of products in categories, relative to `/category/<tenant>/`.

The fixed `bulk` and `references/bulk` segments come before the routes that take an id.
"""

from django.urls import path

from . import assignment_views as views

urlpatterns = [
    path(
        "categories/<str:category_id>/assignments",
        views.CategoryAssignmentCollectionView.as_view(),
        name="category-assignments",
    ),
    path(
        "categories/<str:category_id>/assignments/bulk",
        views.CategoryAssignmentBulkView.as_view(),
        name="category-assignments-bulk",
    ),
    path(
        "categories/<str:category_id>/assignments/references/bulk",
        views.CategoryAssignmentReferenceBulkView.as_view(),
        name="category-assignments-references-bulk",
    ),
    path(
        "categories/<str:category_id>/assignments/references/<str:reference_id>",
        views.CategoryAssignmentReferenceView.as_view(),
        name="category-assignment-reference",
    ),
    path(
        "categories/<str:category_id>/assignments/<str:assignment_id>",
        views.CategoryAssignmentDetailView.as_view(),
        name="category-assignment-detail",
    ),
    path(
        "assignments/references/<str:reference_id>",
        views.ProductCategoriesView.as_view(),
        name="product-category-assignments",
    ),
]
