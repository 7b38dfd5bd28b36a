"""Routes of the Products resource, relative to /product/<tenant>/."""

from django.urls import path

from . import product_views as views

# "bulk" and "search" come before the detail route, which would otherwise take it for a product id.
urlpatterns = [
    path("products", views.ProductCollectionView.as_view(), name="products"),
    path("products/bulk", views.ProductBulkView.as_view(), name="products-bulk"),
    path("products/search", views.ProductSearchView.as_view(), name="products-search"),
    path("products/<str:product_id>", views.ProductDetailView.as_view(), name="product-detail"),
]
