"""Who sees unpublished catalog data: the one rule every catalog read asks.

Published products and categories are open to every valid token of the tenant (client,
customer or anonymous), as in the vendor's Product and Category APIs; unpublished ones only
to tokens with the read-unpublished or the manage scope. For the others they do not exist:
404 on their own URL (the same answer as for a missing id), absent from every list.
"""

from __future__ import annotations

from segments_project.tenancy import scopes
from segments_project.tenancy.principal import Principal

SEES_UNPUBLISHED_PRODUCTS = frozenset({scopes.PRODUCT_READ_UNPUBLISHED, scopes.PRODUCT_MANAGE})
SEES_UNPUBLISHED_CATEGORIES = frozenset({scopes.CATEGORY_READ_UNPUBLISHED, scopes.CATEGORY_MANAGE})


def sees_unpublished_products(principal: Principal) -> bool:
    return bool(principal.scopes & SEES_UNPUBLISHED_PRODUCTS)


def sees_unpublished_categories(principal: Principal) -> bool:
    return bool(principal.scopes & SEES_UNPUBLISHED_CATEGORIES)
