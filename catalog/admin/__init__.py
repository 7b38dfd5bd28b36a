"""Admin for the catalog: the category tree and products with their categories.

Every write goes through the catalog services (validation, versions, tree locks, cache
invalidation); forms check their input with the API's document functions first, so the
admin refuses what the API refuses, with the same messages. Which segments hold a product
or category is shown by the segments app, which extends these admins (the catalog sits
below it and does not know segments).

- `forms`: the product and category forms;
- `products`: `ProductAdmin`;
- `categories`: `CategoryAdmin` and the tree change list.

Importing the package registers both admins.
"""

from . import categories, products

__all__ = ["categories", "products"]
