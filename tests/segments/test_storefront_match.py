"""POST /segments/match and GET /me/segments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT, Caller
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

MATCH = f"/customer-segment/{TENANT}/segments/match"
ME = f"/customer-segment/{TENANT}/me/segments"


@pytest.fixture
def shop(db):
    """gold has product p-direct and category power (tools > power > drills); silver has
    product p-silver; p-drill sits in drills, p-power in power, p-hand in tools > hand."""
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    drills = make_category(TENANT, "drills", parent=power)
    hand = make_category(TENANT, "hand", parent=tools)
    products = {
        pid: make_product(TENANT, pid)
        for pid in ("p-direct", "p-drill", "p-power", "p-hand", "p-silver")
    }
    make_assignment(drills, products["p-drill"])
    make_assignment(power, products["p-power"])
    make_assignment(hand, products["p-hand"])
    gold = make_segment(TENANT, "gold")
    silver = make_segment(TENANT, "silver", site="outlet")
    assign_item(gold, products["p-direct"])
    assign_item(gold, power)
    assign_item(silver, products["p-silver"])
    assign_item(silver, products["p-drill"])
    customer = make_customer(TENANT, "c1")
    assign_customer(gold, customer)
    return {"gold": gold, "silver": silver}


def _body(*product_ids, segments=("gold", "silver"), site=None):
    body = {"items": [{"id": pid} for pid in product_ids], "segmentIds": list(segments)}
    if site:
        body["site"] = site
    return body


def test_match_finds_direct_category_and_descendant_paths(manager, shop):
    response = manager.post(MATCH, _body("p-direct", "p-power", "p-drill", "p-hand", "p-none"))

    assert response.status_code == 200
    assert response.json() == [
        {"id": "p-direct", "segmentIds": ["gold"]},
        {"id": "p-power", "segmentIds": ["gold"]},
        {"id": "p-drill", "segmentIds": ["gold", "silver"]},
    ]


def test_match_honours_site_as_site_or_sitecode(manager, shop):
    assert manager.post(MATCH, _body("p-drill", site="outlet")).json() == [
        {"id": "p-drill", "segmentIds": ["silver"]}
    ]
    body = {**_body("p-drill"), "siteCode": "main"}
    assert manager.post(MATCH, body).json() == [{"id": "p-drill", "segmentIds": ["gold"]}]


def test_match_ignores_inactive_and_expired_segments(manager, shop):
    shop["gold"].valid_to = timezone.now() - timedelta(minutes=1)
    shop["gold"].save()
    shop["silver"].status = "INACTIVE"
    shop["silver"].save()

    assert manager.post(MATCH, _body("p-direct", "p-drill")).json() == []


def test_a_customer_token_matches_only_within_its_own_segments(shop, issue_token):
    customer = Caller(issue_token(customer_id="c1"))

    mine = customer.post(MATCH, {"items": [{"id": "p-drill"}, {"id": "p-silver"}]})
    narrowed = customer.post(MATCH, _body("p-silver", "p-drill", segments=("silver",)))

    assert mine.json() == [{"id": "p-drill", "segmentIds": ["gold"]}]
    assert narrowed.json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"items": "p1", "segmentIds": ["gold"]},
        {"items": [{"id": "p1"}]},
        {"items": [{"id": 5}], "segmentIds": ["gold"]},
        {"items": [{"id": "p1"}], "segmentIds": "gold"},
        ["p1"],
    ],
)
def test_malformed_match_requests_are_400(manager, shop, body):
    assert manager.post(MATCH, body).status_code == 400


def test_an_empty_segment_list_matches_nothing(manager, shop):
    response = manager.post(MATCH, _body("p-direct", "p-drill", segments=()))

    assert response.status_code == 200
    assert response.json() == []


def test_match_takes_a_constant_number_of_queries(manager, shop, django_assert_max_num_queries):
    for index in range(20):
        make_assignment(make_category(TENANT, f"extra{index}"), make_product(TENANT, f"x{index}"))
    ids = [f"x{index}" for index in range(20)] + ["p-drill", "p-direct"]

    # the token, then on PostgreSQL one statement; elsewhere the caller's segments, their
    # product items, their category items, the products' category paths
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 5):
        response = manager.post(MATCH, _body(*ids))
    assert len(response.json()) == 2


def test_me_segments_lists_the_callers_active_segments(shop, issue_token):
    extra = make_segment(TENANT, "extra", status="INACTIVE")
    assign_customer(extra, make_customer(TENANT, "c2"))
    customer = Caller(issue_token(customer_id="c1"))

    response = customer.get(ME)

    assert response.status_code == 200
    assert [segment["id"] for segment in response.json()] == ["gold"]
    assert customer.get(f"{ME}?siteCode=outlet").json() == []
