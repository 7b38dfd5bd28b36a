"""Storefront reads go to the replica; the caller that just wrote reads the primary."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from .catalog.factories import make_category
from .conftest import TENANT, Caller
from .segments.factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

TREES = f"/customer-segment/{TENANT}/segments/items/category-trees"


@pytest.fixture
def replica_on(settings):
    settings.STOREFRONT_READS_FROM_REPLICA = True


@pytest.fixture
def shop(db):
    gold = make_segment(TENANT, "gold")
    assign_item(gold, make_category(TENANT, "tools"))
    assign_customer(gold, make_customer(TENANT, "c1"))
    return gold


def _queries(alias: str, call):
    with CaptureQueriesContext(connections[alias]) as captured:
        response = call()
    return response, len(captured)


def test_storefront_reads_go_to_the_replica(replica_on, shop, issue_token):
    customer = Caller(issue_token(customer_id="c1"))

    response, replica_queries = _queries("replica", lambda: customer.get(TREES))

    assert response.status_code == 200
    assert response.json()[0]["id"] == "tools"
    assert replica_queries >= 2


def test_writes_and_back_office_reads_stay_on_the_primary(replica_on, shop, manager):
    _, on_replica = _queries(
        "replica", lambda: manager.get(f"/customer-segment/{TENANT}/segments/gold")
    )
    _, written_on_replica = _queries(
        "replica",
        lambda: manager.patch(f"/customer-segment/{TENANT}/segments/gold", {"status": "INACTIVE"}),
    )

    assert on_replica == 0
    assert written_on_replica == 0


def test_the_caller_that_just_wrote_reads_from_the_primary(replica_on, shop, manager):
    _, replica_before = _queries("replica", lambda: manager.get(f"{TREES}?customerId=c1"))
    manager.patch(f"/customer-segment/{TENANT}/segments/gold", {"name": {"en": "Golden"}})

    after, replica_after = _queries("replica", lambda: manager.get(f"{TREES}?customerId=c1"))

    assert replica_before > 0
    assert replica_after == 0
    assert after.status_code == 200


def test_without_the_replica_switch_everything_uses_the_primary(shop, issue_token):
    customer = Caller(issue_token(customer_id="c1"))

    _, replica_queries = _queries("replica", lambda: customer.get(TREES))

    assert replica_queries == 0
