"""GET /segments/items/category-trees: the segment-filtered navigation of one customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Category
from segments.models import Customer
from segments_project.tenancy import scopes

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT, Caller
from .factories import assign_customer, assign_item, make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

TREES = f"/customer-segment/{TENANT}/segments/items/category-trees"


@pytest.fixture
def shop(db):
    """tools > (hand, power > (drills, saws)); garden (unpublished) > hoses; customer c1 in
    segment gold (main site), which has the category power."""
    tools = make_category(TENANT, "tools", position=0)
    make_category(TENANT, "hand", parent=tools, position=0)
    power = make_category(TENANT, "power", parent=tools, position=1)
    make_category(TENANT, "saws", parent=power, position=2)
    make_category(TENANT, "drills", parent=power, position=1)
    garden = make_category(TENANT, "garden", published=False)
    make_category(TENANT, "hoses", parent=garden)
    gold = make_segment(TENANT, "gold")
    assign_item(gold, power)
    assign_customer(gold, make_customer(TENANT, "c1"))
    return gold


@pytest.fixture
def customer(issue_token, shop) -> Caller:
    return Caller(issue_token(customer_id="c1"))


def _ids(forest) -> list:
    """The forest as nested (id, isSegmentAssigned, children) tuples."""
    return [(n["id"], n["isSegmentAssigned"], _ids(n["subcategories"])) for n in forest]


def test_a_subcategory_assignment_shows_the_parent_as_a_label_and_only_that_subtree(customer):
    response = customer.get(TREES)

    assert response.status_code == 200
    assert _ids(response.json()) == [
        ("tools", False, [("power", True, [("drills", True, []), ("saws", True, [])])])
    ]
    power = response.json()[0]["subcategories"][0]
    assert power["parentId"] == "tools"
    assert power["segmentIds"] == ["gold"]
    assert power["name"] == {"en": "Category power"}
    assert response.json()[0]["segmentIds"] == ["gold"]


def test_nodes_carry_the_category_fields(customer):
    node = customer.get(TREES).json()[0]

    assert {
        "id",
        "name",
        "validity",
        "position",
        "published",
        "isSegmentAssigned",
        "segmentIds",
        "subcategories",
    } <= set(node)
    assert node["published"] is True
    assert node["position"] == 0


def test_accept_language_localizes_names(customer):
    node = customer.get(TREES, headers={"Accept-Language": "de"}).json()[0]

    assert node["name"] == {}


@pytest.mark.parametrize(
    "change",
    [
        {"status": "INACTIVE"},
        {"valid_to": timezone.now() - timedelta(seconds=1)},
        {"valid_from": timezone.now() + timedelta(hours=1)},
    ],
    ids=["inactive", "expired", "scheduled"],
)
def test_inactive_expired_or_scheduled_segments_give_nothing(customer, shop, change):
    for field, value in change.items():
        setattr(shop, field, value)
    shop.save()

    assert customer.get(TREES).json() == []


def test_validity_window_boundaries(customer, shop):
    now = timezone.now()
    shop.valid_from = now - timedelta(seconds=5)
    shop.valid_to = now + timedelta(seconds=60)
    shop.save()

    assert customer.get(TREES).json() != []


def test_site_code_filters_segments(customer):
    assert customer.get(f"{TREES}?siteCode=main").json() != []
    assert customer.get(f"{TREES}?siteCode=outlet").json() == []


def test_unknown_customers_get_an_empty_forest_never_the_catalog(shop, issue_token):
    make_customer(TENANT, "lonely")
    lonely = Caller(issue_token(customer_id="lonely"))

    assert lonely.get(TREES).json() == []


def test_an_assignment_under_an_unpublished_category_stays_hidden(customer, shop):
    assign_item(shop, Category.objects.get(public_id="hoses"))
    assign_item(shop, Category.objects.get(public_id="garden"))

    assert [tree["id"] for tree in customer.get(TREES).json()] == ["tools"]


def test_unpublished_nodes_inside_an_assigned_subtree_are_pruned(customer):
    Category.objects.filter(public_id="saws").update(published=False)

    power = customer.get(TREES).json()[0]["subcategories"][0]
    assert [child["id"] for child in power["subcategories"]] == ["drills"]


def test_b2b_assignments_count_only_when_acting_for_that_legal_entity(shop, issue_token):
    company = make_legal_entity(TENANT, "acme-corp")
    buyer = make_customer(TENANT, "buyer", legal_entities=(company,))
    platinum = make_segment(TENANT, "platinum")
    assign_item(platinum, Category.objects.get(public_id="hand"))
    assign_customer(platinum, buyer, company)
    alone = Caller(issue_token(customer_id="buyer"))
    for_company = Caller(issue_token(customer_id="buyer", legal_entity_id="acme-corp"))

    assert alone.get(TREES).json() == []
    assert _ids(for_company.get(TREES).json()) == [("tools", False, [("hand", True, [])])]
    assert for_company.get(f"{TREES}?legalEntityId=other").json() == []


def test_product_categories_are_grafted_as_labels_when_asked(customer, shop):
    product = make_product(TENANT, "hammer")
    make_assignment(Category.objects.get(public_id="hand"), product)
    assign_item(shop, product)

    plain = customer.get(TREES).json()
    grafted = customer.get(f"{TREES}?includeProductCategories=true").json()

    assert [child["id"] for child in plain[0]["subcategories"]] == ["power"]
    hand, power = grafted[0]["subcategories"]
    assert (hand["id"], hand["isSegmentAssigned"], hand["segmentIds"]) == ("hand", False, ["gold"])
    assert power["id"] == "power"


def test_a_segment_read_caller_names_the_customer(shop, issue_token):
    reader = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))

    assert _ids(reader.get(f"{TREES}?customerId=c1").json())[0][0] == "tools"
    assert reader.get(f"{TREES}?customerId=nobody").json() == []


def test_answers_carry_an_etag_and_honour_if_none_match(customer):
    first = customer.get(TREES)

    again = customer.get(TREES, headers={"If-None-Match": first["ETag"]})

    assert first["ETag"].startswith('"')
    assert again.status_code == 304
    assert again.content == b""
    assert customer.get(TREES, headers={"If-None-Match": '"other"'}).status_code == 200


def test_warm_reads_take_one_query_and_cold_reads_a_constant_number(
    customer, shop, django_assert_max_num_queries
):
    c1 = Customer.objects.get(public_id="c1")
    for index in range(30):
        segment = make_segment(TENANT, f"s{index}")
        assign_item(segment, make_category(TENANT, f"c{index}"))
        assign_customer(segment, c1)
    assert Category.objects.count() > 35

    with django_assert_max_num_queries(4):
        cold = customer.get(TREES)
    with django_assert_max_num_queries(1):
        warm = customer.get(TREES)
    assert cold.content == warm.content
    assert len(cold.json()) == 31
