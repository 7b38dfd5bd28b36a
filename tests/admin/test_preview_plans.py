"""The preview as a customer's queries keep to their indexes (measured at L: 1.45 s of
queries down to 0.25 s; docs/benchmarks.md, "The preview as a customer at L"): the visible
products are looked up by key once their set is computed, the assigned categories'
subtrees are read within the tenant (`category_tenant_path`), and the rule plan reads the
customer's segments as sets, estimated below PostgreSQL's JIT threshold even with 20,000
segments."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product
from segments.admin.views.preview import _visible_condition
from segments.models import Segment
from segments.selectors.explain_rules import rule_plan
from segments.selectors.storefront_scope import StorefrontScope
from segments_project.db.sql import InComputedFirst
from tests.catalog.factories import make_assignment, make_category, make_product
from tests.segments.factories import assign_customer, assign_item, make_customer, make_segment

from .conftest import TENANT

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="plans: PostgreSQL only"
)


def _plan(sql: str, params: list | tuple = ()) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


@pytest.fixture
def member():
    """A customer of a segment that gives one product directly and a category's subtree."""
    customer = make_customer(TENANT, "anna")
    segment = make_segment(TENANT, "gold")
    assign_customer(segment, customer)
    audio = make_category(TENANT, "audio")
    headphones = make_category(TENANT, "headphones", parent=audio)
    assign_item(segment, audio)
    direct = make_product(TENANT, "p-direct")
    assign_item(segment, direct)
    make_assignment(headphones, make_product(TENANT, "p-placed"))
    make_product(TENANT, "p-hidden")
    return customer


def _scope(customer) -> StorefrontScope:
    return StorefrontScope(
        tenant=TENANT,
        customer_id=customer.public_id,
        legal_entity_id=None,
        site_code=None,
        at=timezone.now(),
    )


def test_computed_first_selects_the_same_rows_as_in():
    for number in range(5):
        make_product(TENANT, f"p{number}")
    wanted = Product.objects.filter(public_id__in=["p1", "p3"]).values("pk")
    rows = Product.objects.filter(InComputedFirst(F("pk"), wanted)).order_by("public_id")
    assert [row.public_id for row in rows] == ["p1", "p3"]
    sql = str(rows.query)
    expected = "= ANY(ARRAY(" if connection.vendor == "postgresql" else " IN ("
    assert expected in sql


def test_the_visible_products_are_those_the_segments_give(member):
    products = Product.objects.filter(_visible_condition(_scope(member)), tenant_id=TENANT)
    assert set(products.values_list("public_id", flat=True)) == {"p-direct", "p-placed"}


@postgres_only
def test_the_visible_products_are_looked_up_by_key_and_the_subtrees_by_path(member):
    products = Product.objects.filter(_visible_condition(_scope(member)), tenant_id=TENANT)
    sql, params = products.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
    nodes = _nodes(_plan(sql, params))
    # The products filtered by the computed set (an InitPlan's array), not joined with it.
    product_scans = [node for node in nodes if node.get("Relation Name") == "catalog_product"]
    assert product_scans and all(
        "ANY" in node.get("Index Cond", "") + node.get("Filter", "") for node in product_scans
    ), product_scans
    # The assigned categories' subtrees read within the tenant (an index condition on it,
    # so that `category_tenant_path` can serve the paths at size): without it every
    # category of every tenant was read, 60 ms at L.
    categories = [node for node in nodes if node.get("Relation Name") == "catalog_category"]
    assert categories and all("tenant_id" in node.get("Index Cond", "") for node in categories), (
        categories
    )


@postgres_only
def test_the_rule_plan_is_estimated_below_the_jit_threshold_with_20000_segments(member):
    now = timezone.now()
    Segment.objects.bulk_create(
        Segment(
            tenant_id=TENANT,
            public_id=f"s{number}",
            name={"en": f"S {number}"},
            site_code="main",
            status="ACTIVE",
            created_at=now,
            modified_at=now,
        )
        for number in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE segments_segment")
        cursor.execute("ANALYZE segments_segmentcustomerassignment")
        cursor.execute("SELECT current_setting('jit_above_cost')::float")
        threshold = cursor.fetchone()[0]
    with CaptureQueriesContext(connection) as queries:
        rule_plan(tenant=TENANT, customer_id=member.public_id, at=now, assigned_rules_only=True)
    [query] = [q["sql"] for q in queries.captured_queries if "segments_segment" in q["sql"]]
    cost = _plan(query)["Total Cost"]
    # Before: an EXISTS per segment, estimated at 8 to 30 a segment (170,000 and more here,
    # 626,650 at L), so PostgreSQL compiled the query with JIT, 0.2 to 0.3 s each time.
    assert cost < threshold, cost
