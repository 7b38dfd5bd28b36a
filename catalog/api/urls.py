"""Routes of the catalog: /category (categories, trees, assignments) and /product."""

from .category_urls import urlpatterns as category_urlpatterns
from .product_urls import urlpatterns as product_urlpatterns

__all__ = ["category_urlpatterns", "product_urlpatterns"]
