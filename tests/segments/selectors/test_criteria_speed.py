"""What keeps rules fast: a rule on the customer's own columns is one condition on the
customer table (no self-join), a `legalEntityIds` rule still counts a customer once, and
on PostgreSQL the compiled `mixins` comparisons are served by the expression indexes of
migration 0009 (the test fails if the compiler's expression drifts from the index)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.models import Customer
from segments.selectors.criteria import criteria_pairs, criteria_preview

from ...conftest import OTHER_TENANT, TENANT
from ..factories import make_customer, make_legal_entity

pytestmark = pytest.mark.django_db

INDEXED_RULES = {
    "customer_mixins_total_spent": "mixins.orders.totalSpent:>=500",
    "customer_mixins_last_order_at": 'mixins.orders.lastOrderAt:>="-7d"',
    "customer_mixins_loyalty_points": "mixins.loyalty.points:(>=100 AND <200)",
}


@pytest.fixture
def customers(db):
    acme = make_legal_entity(TENANT, "acme")
    initech = make_legal_entity(TENANT, "initech")
    make_customer(TENANT, "ada")
    make_customer(TENANT, "bob", legal_entities=(acme, initech))
    make_customer(OTHER_TENANT, "ada")
    Customer.objects.update(
        mixins={"orders": {"totalSpent": 900.5}, "loyalty": {"points": 150}},
        preferred_language="de",
    )
    Customer.objects.filter(public_id="bob").update(mixins={"orders": {"totalSpent": 20}})


def test_a_rule_on_the_customers_columns_is_one_pass_over_the_customers(customers):
    with CaptureQueriesContext(connection) as queries:
        preview = criteria_preview(
            tenant=TENANT, criteria={"q": "mixins.orders.totalSpent:>=500 preferredLanguage:de"}
        )
    assert (preview.count, preview.total_customers) == (1, 2)
    assert [customer.public_id for customer in preview.sample] == ["ada"]
    # The condition stands in the FILTER itself: no subquery of the customer table.
    assert queries.captured_queries[0]["sql"].count("SELECT") == 1
    pairs = criteria_pairs(tenant=TENANT, criteria={"q": "mixins.loyalty.points:>=100"})
    assert str(pairs.query).count("SELECT") == 1
    ada = Customer.objects.get(tenant_id=TENANT, public_id="ada").pk
    assert list(pairs) == [(ada, None)]


def test_the_preview_tests_the_address_containment_last(customers):
    rule = {"q": "addresses.country:DE mixins.loyalty.points:>=100 preferredLanguage:de"}

    with CaptureQueriesContext(connection) as queries:
        preview = criteria_preview(tenant=TENANT, criteria=rule)

    assert preview.count == 0  # nobody has an address in DE
    aggregate = queries.captured_queries[0]["sql"]
    matched = aggregate[aggregate.index("FILTER") :]
    # As written in the FILTER, which evaluates its conditions in order on every row.
    positions = [matched.index(column) for column in ("preferred_language", "mixins", "addresses")]
    assert positions == sorted(positions)


def test_a_rule_joining_the_links_still_counts_each_customer_once(customers):
    rule = {"q": "legalEntityIds:(acme,initech)"}
    assert criteria_preview(tenant=TENANT, criteria=rule).count == 1
    bob = Customer.objects.get(tenant_id=TENANT, public_id="bob").pk
    assert list(criteria_pairs(tenant=TENANT, criteria=rule)) == [(bob, None)]


@pytest.mark.parametrize(("index", "q"), INDEXED_RULES.items())
def test_the_compiled_mixins_comparisons_use_the_path_indexes(customers, index, q):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = %s"
            if connection.vendor == "postgresql"
            else "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = %s",
            [index],
        )
        (present,) = cursor.fetchone()
    if connection.vendor != "postgresql":
        assert present == 0  # SQLite filters row by row; the migration creates nothing.
        return
    assert present == 1
    # Enough of the tenant's customers, none of them matching, that the tenant alone is a
    # poor filter: with statistics of these rows (not of what earlier tests left in the
    # table), the planner takes the path index only if it serves the compiled expression.
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(
            tenant_id=TENANT,
            public_id=f"filler-{n}",
            mixins={
                "orders": {"totalSpent": 1, "lastOrderAt": "2020-01-01T00:00:00.000Z"},
                "loyalty": {"points": 1},
            },
            created_at=now,
            modified_at=now,
        )
        for n in range(2000)
    )
    matches = criteria_pairs(tenant=TENANT, criteria={"q": q})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE segments_customer")
        plan = matches.explain()
    assert index in plan, plan
