"""The storefront reads of an anonymous visitor's token: a member of no segment, so no
segment's items or categories, whatever the tenant holds and whoever read before."""

from __future__ import annotations

import pytest

from segments_project.tenancy import scopes

from ..catalog.factories import make_category, make_product
from ..conftest import TENANT, Caller
from ..tenancy.visitors import visitor
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

BASE = f"/customer-segment/{TENANT}"
ITEMS = f"{BASE}/segments/items"
TREES = f"{BASE}/segments/items/category-trees"


@pytest.fixture
def shop(db):
    """gold (main) gives p1 and category tools to c1; lonely gives p2 to nobody."""
    customer = make_customer(TENANT, "c1")
    gold = make_segment(TENANT, "gold")
    assign_item(gold, make_product(TENANT, "p1"))
    assign_item(gold, make_category(TENANT, "tools"))
    assign_customer(gold, customer)
    assign_item(make_segment(TENANT, "lonely"), make_product(TENANT, "p2"))


def test_a_visitor_gets_no_items_and_no_trees(shop):
    caller = visitor()

    items = caller.get(ITEMS)
    trees = caller.get(TREES)
    on_site = caller.get(f"{ITEMS}?siteCode=main")

    assert (items.status_code, items.json()) == (200, [])
    assert (trees.status_code, trees.json()) == (200, [])
    assert (on_site.status_code, on_site.json()) == (200, [])


def test_a_tenant_wide_readers_cached_answer_is_not_a_visitors(shop, issue_token):
    """A segment_read token naming no customer reads every segment; the visitor, with the
    same query, must not be served that cached answer."""
    reader = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))
    assert len(reader.get(ITEMS).json()) == 3

    assert visitor().get(ITEMS).json() == []


@pytest.mark.parametrize("parameter", ["customerId=c1", "legalEntityId=le1"])
@pytest.mark.parametrize("path", [ITEMS, TREES])
def test_a_visitor_cannot_name_a_customer(shop, path, parameter):
    response = visitor().get(f"{path}?{parameter}")

    assert response.status_code == 403, response.content
    assert "visitor" in response.json()["message"]


def test_a_visitor_has_no_segments_of_its_own_and_matches_nothing(shop):
    caller = visitor()

    mine = caller.get(f"{BASE}/me/segments")
    match = caller.post(f"{BASE}/segments/match", {"items": [{"id": "p1"}]})

    assert mine.status_code == 403
    assert match.status_code == 403


def test_a_visitors_answer_has_an_etag_and_revalidates(shop):
    caller = visitor()
    first = caller.get(ITEMS)

    again = caller.get(ITEMS, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304


def test_a_visitors_items_cost_the_token_lookup_only(shop, django_assert_num_queries):
    caller = visitor()

    with django_assert_num_queries(1):
        response = caller.get(ITEMS, check_schema=False)

    assert response.json() == []
