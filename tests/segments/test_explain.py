"""GET /segments/explain: why a customer sees an item, cross-checked against the
storefront's own answers (items, match, category trees)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.selectors.explain import explain_customer

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import OTHER_TENANT, TENANT, Caller
from .factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

pytestmark = pytest.mark.django_db

EXPLAIN = f"/customer-segment/{TENANT}/segments/explain"
ITEMS = f"/customer-segment/{TENANT}/segments/items"
MATCH = f"/customer-segment/{TENANT}/segments/match"
TREES = f"/customer-segment/{TENANT}/segments/items/category-trees"

PRODUCTS = (
    "p-direct",
    "p-drill",
    "p-power",
    "p-hand",
    "p-dormant",
    "p-expired",
    "p-outlet",
    "p-b2b",
    "p-other",
    "p-none",
    "p-future",
)
CATEGORIES = ("tools", "power", "drills", "hand", "secret", "under-secret")


@pytest.fixture
def shop(db):
    """The forest tools > power > drills, tools > hand, secret (unpublished) > under-secret.

    c1 (of acme-corp) is a member of: gold (ACTIVE, main: p-direct, category power),
    dormant (INACTIVE: p-dormant), expired (ended an hour ago: p-expired, category hand),
    future (starts tomorrow: p-future), outlet (site outlet: p-outlet, p-drill), and b2b
    (for acme-corp: p-b2b, category secret). other (p-other) does not hold c1; p-none is in
    no segment. p-drill sits in drills, p-power in power, p-hand in hand.
    """
    now = timezone.now()
    company = make_legal_entity(TENANT, "acme-corp")
    make_legal_entity(TENANT, "other-corp")
    c1 = make_customer(TENANT, "c1", legal_entities=(company,))
    make_customer(TENANT, "c2")
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    drills = make_category(TENANT, "drills", parent=power)
    hand = make_category(TENANT, "hand", parent=tools)
    secret = make_category(TENANT, "secret", published=False)
    make_category(TENANT, "under-secret", parent=secret)
    products = {pid: make_product(TENANT, pid) for pid in PRODUCTS}
    make_assignment(drills, products["p-drill"])
    make_assignment(power, products["p-power"])
    make_assignment(hand, products["p-hand"])

    def segment(segment_id, *items, legal_entity=None, member=True, **extra):
        made = make_segment(TENANT, segment_id, **extra)
        for item in items:
            assign_item(made, item)
        if member:
            assign_customer(made, c1, legal_entity)
        return made

    segment("gold", products["p-direct"], power)
    segment("dormant", products["p-dormant"], status="INACTIVE")
    segment("expired", products["p-expired"], hand, valid_to=now - timedelta(hours=1))
    segment("future", products["p-future"], valid_from=now + timedelta(days=1))
    segment("outlet", products["p-outlet"], products["p-drill"], site="outlet")
    segment("b2b", products["p-b2b"], secret, legal_entity=company)
    segment("other", products["p-other"], member=False)
    return c1


def _explain(caller: Caller, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    response = caller.get(f"{EXPLAIN}?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def _segments(answer) -> dict[str, dict]:
    return {entry["segmentId"]: entry for entry in answer["segments"]}


def test_every_segment_of_the_customer_with_whether_it_counts_and_why(reader, shop):
    answer = _explain(reader, customerId="c1", siteCode="main")

    segments = _segments(answer)
    assert sorted(segments) == ["b2b", "dormant", "expired", "future", "gold", "outlet"]
    assert segments["gold"]["counts"] is True
    assert segments["gold"]["reasons"] == []
    assert segments["gold"]["memberships"] == [
        {"how": "MANUAL", "legalEntityId": None, "applies": True, "reason": None}
    ]
    assert segments["dormant"]["reasons"] == ["the segment's status is INACTIVE, not ACTIVE"]
    assert segments["expired"]["reasons"][0].startswith("outside its validity window: it ended at ")
    assert segments["future"]["reasons"][0].startswith("outside its validity window: it starts at ")
    assert segments["outlet"]["reasons"] == ["the segment is of site outlet, not main"]
    assert segments["b2b"]["member"] is False
    assert segments["b2b"]["memberships"][0]["legalEntityId"] == "acme-corp"
    assert segments["b2b"]["memberships"][0]["applies"] is False
    assert segments["b2b"]["reasons"] == [
        "not a member (a B2B membership for the legal entity acme-corp; asked as a private "
        "(B2C) customer)"
    ]


def test_b2b_membership_counts_when_acting_for_the_legal_entity(reader, shop):
    answer = _explain(reader, customerId="c1", legalEntityId="acme-corp")

    assert answer["actsForLegalEntity"] is True
    b2b = _segments(answer)["b2b"]
    assert b2b["counts"] is True
    assert b2b["memberships"][0]["applies"] is True


def test_a_legal_entity_the_customer_does_not_act_for_counts_nothing(reader, shop):
    answer = _explain(reader, customerId="c1", legalEntityId="other-corp")

    assert answer["actsForLegalEntity"] is False
    gold = _segments(answer)["gold"]
    assert gold["counts"] is False
    assert gold["memberships"][0]["reason"] == (
        "the customer does not act for the legal entity other-corp"
    )


def test_a_product_seen_through_a_category_path(reader, shop):
    answer = _explain(
        reader, customerId="c1", siteCode="main", itemType="PRODUCT", itemId="p-drill"
    )

    item = answer["item"]
    assert item["visible"] is True
    assert item["visibleThrough"] == ["gold"]
    assert item["routes"] == [
        {
            "segmentId": "gold",
            "assignment": {"itemType": "CATEGORY", "itemId": "power"},
            "categoryPath": ["power", "drills"],
            "counts": True,
        },
        {
            "segmentId": "outlet",
            "assignment": {"itemType": "PRODUCT", "itemId": "p-drill"},
            "categoryPath": [],
            "counts": False,
        },
    ]
    assert item["reason"] is None


def test_not_visible_because_the_segment_is_outside_its_validity_window(reader, shop):
    answer = _explain(reader, customerId="c1", itemType="product", itemId="p-expired")

    item = answer["item"]
    assert item["visible"] is False
    assert item["visibleThrough"] == []
    assert item["reason"].startswith(
        "not visible: segment expired: outside its validity window: it ended at "
    )


@pytest.mark.parametrize(
    ("product", "context", "reason"),
    [
        ("p-future", {}, "not visible: segment future: outside its validity window: it starts at "),
        (
            "p-dormant",
            {},
            "not visible: segment dormant: the segment's status is INACTIVE, not ACTIVE",
        ),
        (
            "p-outlet",
            {"siteCode": "main"},
            "not visible: segment outlet: the segment is of site outlet, not main",
        ),
    ],
    ids=["not-yet-valid", "inactive", "other-site"],
)
def test_not_visible_because_of_the_window_the_status_or_the_site(
    reader, shop, product, context, reason
):
    item = _explain(reader, customerId="c1", itemType="PRODUCT", itemId=product, **context)["item"]

    assert (item["visible"], item["visibleThrough"]) == (False, [])
    assert item["reason"].startswith(reason)
    assert item["routes"][0]["counts"] is False


def test_not_visible_reasons_for_non_members_and_unassigned_items(reader, shop):
    other = _explain(reader, customerId="c1", itemType="PRODUCT", itemId="p-other")
    none = _explain(reader, customerId="c1", itemType="PRODUCT", itemId="p-none")
    missing = _explain(reader, customerId="c1", itemType="PRODUCT", itemId="p-missing")

    assert "other" in _segments(other)  # it carries the item, so it concerns the customer
    assert _segments(other)["other"]["memberships"] == []
    assert other["item"]["reason"] == "not visible: segment other: not a member"
    assert none["item"]["reason"] == (
        "not visible: the PRODUCT p-none is assigned to no segment (neither directly nor "
        "through a category above it)"
    )
    assert missing["item"]["found"] is False
    assert missing["item"]["visible"] is False


def test_an_unpublished_category_is_not_seen_even_through_a_counting_segment(reader, shop):
    answer = _explain(
        reader,
        customerId="c1",
        legalEntityId="acme-corp",
        itemType="CATEGORY",
        itemId="under-secret",
    )

    item = answer["item"]
    assert item["routes"][0]["categoryPath"] == ["secret", "under-secret"]
    assert item["routes"][0]["counts"] is True
    assert item["visible"] is False
    assert "secret is unpublished" in item["reason"]


def _contexts():
    return [
        {},
        {"siteCode": "main"},
        {"siteCode": "outlet"},
        {"legalEntityId": "acme-corp"},
        {"legalEntityId": "acme-corp", "siteCode": "main"},
    ]


@pytest.mark.parametrize("context", _contexts(), ids=lambda c: "-".join(c.values()) or "plain")
def test_explain_agrees_with_match_items_and_trees(reader, issue_token, shop, context):
    customer = Caller(issue_token(customer_id="c1", legal_entity_id=context.get("legalEntityId")))
    site = context.get("siteCode")
    suffix = f"?siteCode={site}" if site else ""
    body = {"items": [{"id": pid} for pid in PRODUCTS]}
    if site:
        body["site"] = site
    matched = {entry["id"]: entry["segmentIds"] for entry in customer.post(MATCH, body).json()}
    listed = {
        (entry["segmentId"], entry["type"], entry["item"]["id"])
        for entry in customer.get(ITEMS + suffix).json()
    }
    forest = customer.get(TREES + suffix).json()
    tree_nodes: dict[str, dict] = {}
    stack = list(forest)
    while stack:
        node = stack.pop()
        tree_nodes[node["id"]] = node
        stack.extend(node["subcategories"])

    direct = set()
    for pid in PRODUCTS:
        item = _explain(reader, customerId="c1", itemType="PRODUCT", itemId=pid, **context)["item"]
        assert item["visibleThrough"] == matched.get(pid, []), pid
        assert item["visible"] == (pid in matched), pid
        direct |= {
            (route["segmentId"], "PRODUCT", pid)
            for route in item["routes"]
            if route["counts"] and route["assignment"]["itemType"] == "PRODUCT"
        }
    for cid in CATEGORIES:
        item = _explain(reader, customerId="c1", itemType="CATEGORY", itemId=cid, **context)["item"]
        node = tree_nodes.get(cid)
        seen = node is not None and node["isSegmentAssigned"]
        assert item["visible"] == seen, cid
        if seen:
            assert set(item["visibleThrough"]) <= set(node["segmentIds"]), cid
        direct |= {
            (route["segmentId"], "CATEGORY", cid)
            for route in item["routes"]
            if route["counts"] and route["categoryPath"] == [cid]
        }
    assert direct == listed


def test_the_customer_token_explains_itself_by_default(issue_token, shop):
    customer = Caller(issue_token(customer_id="c1", legal_entity_id="acme-corp"))

    answer = _explain(customer)

    assert answer["customerId"] == "c1"
    assert answer["legalEntityId"] == "acme-corp"
    assert _explain(customer, customerId="c1")["customerId"] == "c1"


def test_a_customer_token_may_not_explain_another_customer(issue_token, shop):
    customer = Caller(issue_token(customer_id="c1"))

    response = customer.get(f"{EXPLAIN}?customerId=c2")

    assert response.status_code == 403
    assert response.json()["code"] == 403


def test_a_client_without_a_read_scope_is_refused(issue_token, shop):
    from segments_project.tenancy import scopes

    own_only = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ_OWN})))

    response = own_only.get(f"{EXPLAIN}?customerId=c1")

    assert response.status_code == 403
    assert "missing scope: customersegment.segment_read" in str(response.json()["details"])


def test_unknown_customer_is_a_404_in_the_customer_segment_shape(reader, shop):
    response = reader.get(f"{EXPLAIN}?customerId=nobody")

    assert response.status_code == 404
    assert response.json()["status"] == "Not Found"
    assert response.json()["resourceId"] == "nobody"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "customerId"),
        ("customerId=c1&itemType=SHOE&itemId=x", "itemType"),
        ("customerId=c1&itemId=p-drill", "itemType"),
        ("customerId=c1&itemType=PRODUCT", "itemId"),
        ("customerId=", "customerId"),
    ],
)
def test_bad_parameters_are_400s_naming_them(reader, shop, query, field):
    response = reader.get(f"{EXPLAIN}?{query}")

    assert response.status_code == 400
    assert [detail["field"] for detail in response.json()["details"]] == [field]


def test_tenants_do_not_see_each_other(outsider, shop):
    response = outsider.get(f"/customer-segment/{OTHER_TENANT}/segments/explain?customerId=c1")

    assert response.status_code == 404


def test_the_route_is_not_taken_for_a_segment_id(reader, shop):
    make_segment(TENANT, "explain")

    answer = _explain(reader, customerId="c1")

    assert "segments" in answer


@pytest.mark.parametrize("item", [None, ("PRODUCT", "p-drill"), ("CATEGORY", "drills")])
def test_a_fixed_number_of_queries_whatever_the_number_of_segments(shop, item):
    c1 = shop

    def count() -> int:
        kwargs = {"item_type": item[0], "item_id": item[1]} if item else {}
        with CaptureQueriesContext(connection) as queries:
            explain_customer(
                tenant=TENANT,
                customer_id="c1",
                legal_entity_id="acme-corp",
                site_code=None,
                at=timezone.now(),
                **kwargs,
            )
        return len(queries)

    before = count()
    for number in range(20):
        extra = make_segment(TENANT, f"more-{number}")
        assign_customer(extra, c1)
        assign_item(extra, make_product(TENANT, f"more-{number}"))
        # Rule segments too: each rule is asked about the customer in the same queries.
        make_segment(
            TENANT,
            f"rule-{number}",
            criteria={"q": f"id:c1 mixins.n:>{number}", "legalEntities": "name:~Company"},
        )
    after = count()

    assert before == after
    assert after == {None: 5, "PRODUCT": 9, "CATEGORY": 8}[item[0] if item else None]
