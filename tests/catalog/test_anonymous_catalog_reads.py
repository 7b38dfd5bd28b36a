"""Published catalog data is open to every token of the tenant, an anonymous visitor's too;
unpublished rows stay invisible to it (404, not 403, so their existence does not leak).

These pass once the catalog's read views are open to every token of the tenant
(`scopes.ANY_TENANT_TOKEN`, issue 16's catalog part)."""

from __future__ import annotations

import pytest

from ..conftest import TENANT
from ..tenancy.visitors import visitor
from .factories import make_category, make_product

pytestmark = pytest.mark.django_db

PRODUCTS = f"/product/{TENANT}/products"
CATEGORIES = f"/category/{TENANT}/categories"


@pytest.fixture
def catalog(db) -> None:
    make_product(TENANT, "shown")
    make_product(TENANT, "hidden", published=False)
    make_category(TENANT, "shown-category")
    make_category(TENANT, "hidden-category", published=False)


def test_a_visitor_reads_published_products_and_not_unpublished_ones(catalog):
    caller = visitor()

    shown = caller.get(f"{PRODUCTS}/shown")
    hidden = caller.get(f"{PRODUCTS}/hidden")

    assert shown.status_code == 200, shown.content
    assert shown.json()["id"] == "shown"
    assert hidden.status_code == 404, hidden.content


def test_a_visitor_reads_published_categories_and_not_unpublished_ones(catalog):
    caller = visitor()

    shown = caller.get(f"{CATEGORIES}/shown-category")
    hidden = caller.get(f"{CATEGORIES}/hidden-category")
    listed = caller.get(CATEGORIES)

    assert shown.status_code == 200, shown.content
    assert hidden.status_code == 404, hidden.content
    assert listed.status_code == 200, listed.content
    assert [category["id"] for category in listed.json()] == ["shown-category"]


def test_a_visitor_token_of_another_tenant_reads_nothing(catalog):
    caller = visitor("globex", "globex-storefront")

    response = caller.get(f"{PRODUCTS}/shown")

    assert response.status_code == 403
