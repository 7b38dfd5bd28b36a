"""What a write marks stale in the storefront's cache (`tenancy/versions.py`), for the
writes that know rows by pk: the customers whose memberships changed, the segments whose
answers show changed catalog rows."""

from __future__ import annotations

from collections.abc import Iterable

from segments_project.tenancy.versions import (
    CUSTOMER_KEYS_LIMIT,
    content_changed,
    customers_changed,
    segments_changed,
)

from ..models import Customer
from ..selectors.storefront_dependents import segments_showing_catalog


def member_customers_changed(*, tenant: str, customer_pks: Iterable[int]) -> None:
    """Marks the answers of these customers (by pk) stale once the transaction commits;
    more than `CUSTOMER_KEYS_LIMIT` of them mark the tenant's. One query at most."""
    pks = set(customer_pks)
    if len(pks) > CUSTOMER_KEYS_LIMIT:
        content_changed(tenant=tenant)
        return
    if pks:
        public_ids = Customer.objects.filter(tenant_id=tenant, pk__in=pks).values_list(
            "public_id", flat=True
        )
        customers_changed(tenant=tenant, customer_ids=list(public_ids))


def catalog_changed(
    tenant: str,
    *,
    categories: Iterable[int] = (),
    products: Iterable[int] = (),
    product_categories: Iterable[int] = (),
) -> None:
    """Hook of `catalog.hooks.STOREFRONT_CHANGED`: marks the answers that show these
    categories, these products, or the categories of `product_categories` (whose links
    changed) stale, per aspect (`segments_showing_catalog`). Called inside the write's
    transaction, where the rows are still there (a deletion) or already moved (a move
    names the old parent)."""
    found = segments_showing_catalog(
        tenant=tenant,
        category_pks=categories,
        product_pks=products,
        product_category_pks=product_categories,
    )
    segments_changed(
        tenant=tenant,
        items_shown=found.items_shown,
        trees=found.trees,
        grafted=found.grafted,
    )
