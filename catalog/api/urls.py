"""Routes of the catalog: /category (categories, trees, assignments) and /product."""

category_urlpatterns: list = []
product_urlpatterns: list = []
