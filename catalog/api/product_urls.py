"""Routes of the Products resource, relative to /product/<tenant>/."""

from django.urls import path

from . import products

# "bulk" comes before the detail route, which would otherwise take it for a product id.
urlpatterns = [
    path("products", products.ProductCollectionView.as_view(), name="products"),
    path("products/bulk", products.ProductBulkView.as_view(), name="products-bulk"),
    path("products/<str:product_id>", products.ProductDetailView.as_view(), name="product-detail"),
]
