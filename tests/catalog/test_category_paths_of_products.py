"""category_paths_of_products: where products are placed, read in one tenant-filtered query."""

from __future__ import annotations

import pytest

from catalog.selectors.assignments import category_paths_of_products

from ..conftest import OTHER_TENANT, TENANT
from .factories import make_assignment, make_category, make_product

pytestmark = pytest.mark.django_db


def test_each_placed_product_gets_the_paths_of_its_categories(django_assert_num_queries):
    tools = make_category(TENANT, "tools")
    saws = make_category(TENANT, "saws", parent=tools)
    garden = make_category(TENANT, "garden")
    saw = make_product(TENANT, "saw")
    make_assignment(saws, saw)
    make_assignment(garden, saw)
    make_assignment(tools, make_product(TENANT, "hammer"))
    make_product(TENANT, "unplaced")

    with django_assert_num_queries(1):
        found = category_paths_of_products(
            tenant=TENANT, product_ids=["saw", "unplaced", "unknown"]
        )

    assert {product: sorted(paths) for product, paths in found.items()} == {
        "saw": sorted([saws.path, garden.path])
    }


def test_products_of_another_tenant_are_never_read(django_assert_num_queries):
    """Even a (corrupt) placement of our tenant that points at another tenant's product
    stays out: the product's tenant is filtered, which is also what lets PostgreSQL use
    the (tenant, public id) index instead of scanning every product."""
    ours = make_category(TENANT, "tools")
    make_assignment(make_category(OTHER_TENANT, "tools"), make_product(OTHER_TENANT, "saw"))
    make_assignment(ours, make_product(OTHER_TENANT, "drill"))

    with django_assert_num_queries(1) as captured:
        found = category_paths_of_products(tenant=TENANT, product_ids=["saw", "drill"])

    assert found == {}
    assert '"catalog_product"."tenant_id"' in captured.captured_queries[0]["sql"]
