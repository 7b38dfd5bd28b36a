"""GET /segments/items: the item assignments of every segment the caller belongs to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments_project.tenancy import scopes

from ..catalog.factories import make_category, make_product
from ..conftest import TENANT, Caller
from .factories import assign_customer, assign_item, make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

ITEMS = f"/customer-segment/{TENANT}/segments/items"


@pytest.fixture
def shop(db):
    """c1 is in gold (main: p1, category tools) and in b2b-only platinum for acme-corp (p2);
    silver (outlet: p3) and the inactive dormant (p4) hold c1 too; lonely holds p5."""
    company = make_legal_entity(TENANT, "acme-corp")
    c1 = make_customer(TENANT, "c1", legal_entities=(company,))
    products = {pid: make_product(TENANT, pid) for pid in ("p1", "p2", "p3", "p4", "p5")}
    gold = make_segment(TENANT, "gold")
    assign_item(gold, products["p1"])
    assign_item(gold, make_category(TENANT, "tools"))
    assign_customer(gold, c1)
    platinum = make_segment(TENANT, "platinum")
    assign_item(platinum, products["p2"])
    assign_customer(platinum, c1, company)
    silver = make_segment(TENANT, "silver", site="outlet")
    assign_item(silver, products["p3"])
    assign_customer(silver, c1)
    dormant = make_segment(TENANT, "dormant", status="INACTIVE")
    assign_item(dormant, products["p4"])
    assign_customer(dormant, c1)
    assign_item(make_segment(TENANT, "lonely"), products["p5"])
    return c1


def _items(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.json()
    return sorted((entry["segmentId"], entry["item"]["id"]) for entry in response.json())


def test_a_customer_gets_the_items_of_its_active_segments(shop, issue_token):
    customer = Caller(issue_token(customer_id="c1"))

    assert _items(customer.get(ITEMS)) == [
        ("gold", "p1"),
        ("gold", "tools"),
        ("silver", "p3"),
    ]


def test_b2b_items_come_with_the_legal_entity(shop, issue_token):
    for_company = Caller(issue_token(customer_id="c1", legal_entity_id="acme-corp"))
    customer = Caller(issue_token(customer_id="c1"))

    assert ("platinum", "p2") in _items(for_company.get(ITEMS))
    assert ("platinum", "p2") in _items(customer.get(f"{ITEMS}?legalEntityId=acme-corp"))
    assert _items(customer.get(f"{ITEMS}?legalEntityId=stranger")) == []


def test_site_and_q_narrow_the_items(shop, issue_token):
    customer = Caller(issue_token(customer_id="c1"))

    assert _items(customer.get(f"{ITEMS}?siteCode=outlet")) == [("silver", "p3")]
    assert _items(customer.get(f"{ITEMS}?q=type:CATEGORY")) == [("gold", "tools")]
    assert _items(customer.get(f"{ITEMS}?q=segmentId:(silver,gold) item.id:p1")) == [("gold", "p1")]


def test_validity_boundaries(shop, issue_token):
    from segments.models import Segment

    customer = Caller(issue_token(customer_id="c1"))
    now = timezone.now()
    Segment.objects.filter(public_id="gold").update(valid_from=now + timedelta(seconds=30))
    Segment.objects.filter(public_id="silver").update(valid_to=now - timedelta(seconds=1))

    assert _items(customer.get(ITEMS)) == []


def test_paging_and_total_count(shop, issue_token):
    customer = Caller(issue_token(customer_id="c1"))

    response = customer.get(
        f"{ITEMS}?pageSize=2&sort=item.id:asc", headers={"X-Total-Count": "true"}
    )

    assert response["X-Total-Count"] == "3"
    assert [entry["item"]["id"] for entry in response.json()] == ["p1", "p3"]


def test_a_segment_read_caller_reads_every_segment_or_a_named_customer(shop, issue_token):
    reader = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))

    everything = _items(reader.get(ITEMS))
    active = _items(reader.get(f"{ITEMS}?onlyActive=true"))
    named = _items(reader.get(f"{ITEMS}?customerId=c1&siteCode=main"))

    assert ("dormant", "p4") in everything and ("lonely", "p5") in everything
    assert ("dormant", "p4") not in active and ("lonely", "p5") in active
    assert named == [("gold", "p1"), ("gold", "tools")]


def test_a_customer_without_segments_gets_nothing(shop, issue_token):
    make_customer(TENANT, "c2")

    assert _items(Caller(issue_token(customer_id="c2")).get(ITEMS)) == []


def test_items_are_cached_with_an_etag(shop, issue_token, django_assert_max_num_queries):
    customer = Caller(issue_token(customer_id="c1"))
    first = customer.get(ITEMS, headers={"Accept-Language": "en"})

    with django_assert_max_num_queries(1):
        again = customer.get(
            ITEMS, headers={"Accept-Language": "en", "If-None-Match": first["ETag"]}
        )

    assert again.status_code == 304


def test_cold_reads_take_a_constant_number_of_queries(
    shop, issue_token, django_assert_max_num_queries
):
    from segments.models import Segment

    gold = Segment.objects.get(public_id="gold")
    for index in range(40):
        assign_item(gold, make_product(TENANT, f"extra{index}"))
    customer = Caller(issue_token(customer_id="c1"))

    with django_assert_max_num_queries(4):
        response = customer.get(f"{ITEMS}?pageSize=100", headers={"X-Total-Count": "true"})
    assert len(response.json()) == 43
