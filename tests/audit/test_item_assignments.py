"""Item assignments are recorded under their segment, named like their URL, once per
call: one INSERT for a whole bulk request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..catalog.factories import make_category, make_product
from ..conftest import TENANT
from ..segments.factories import make_segment
from .conftest import AUDITED_CLIENT, audit_inserts, trail

pytestmark = pytest.mark.django_db

ITEMS = f"/customer-segment/{TENANT}/segments/gold/items"


@pytest.fixture
def catalog(db):
    make_segment(TENANT, "gold")
    for product_id in ("p1", "p2", "p3"):
        make_product(TENANT, product_id)
    make_category(TENANT, "c1")


def test_assigning_records_the_client_segment_and_values(integration, catalog):
    response = integration.put(f"{ITEMS}/PRODUCT/p1", {"mixins": {"rank": {"value": 1}}})

    assert response.status_code == 201
    (event,) = trail()
    assert event == {
        "actor_kind": "client",
        "actor": AUDITED_CLIENT,
        "action": "assigned",
        "document_type": "segment_item_assignment",
        "document_id": "PRODUCT/p1",
        "segment_id": "gold",
        "changes": {"mixins": {"rank": {"value": 1}}, "metadata_mixins": {}},
    }


def test_replacing_the_custom_data_records_the_diff_and_a_repeat_nothing(integration, catalog):
    integration.put(f"{ITEMS}/CATEGORY/c1", {"mixins": {"rank": {"value": 1}}})

    integration.put(f"{ITEMS}/CATEGORY/c1", {"mixins": {"rank": {"value": 2}}})
    integration.put(f"{ITEMS}/CATEGORY/c1", {"mixins": {"rank": {"value": 2}}})

    assert [(event["action"], event["changes"]) for event in trail()][1:] == [
        ("updated", {"mixins": [{"rank": {"value": 1}}, {"rank": {"value": 2}}]})
    ]


def test_unassigning_records_only_items_that_were_assigned(integration, catalog):
    integration.put(f"{ITEMS}/PRODUCT/p1", {"mixins": {"rank": {"value": 1}}})

    integration.delete(f"{ITEMS}/PRODUCT/p1")
    integration.delete(f"{ITEMS}/PRODUCT/p1")

    unassigned = trail(action="unassigned")
    assert [(event["document_id"], event["segment_id"]) for event in unassigned] == [
        ("PRODUCT/p1", "gold")
    ]
    assert unassigned[0]["changes"]["mixins"] == {"rank": {"value": 1}}


def test_a_bulk_upsert_records_each_element_with_one_insert(integration, catalog):
    integration.put(f"{ITEMS}/PRODUCT/p1", {"mixins": {"rank": {"value": 1}}})
    body = [
        {"id": "p1", "mixins": {"rank": {"value": 9}}},  # updated
        {"id": "p2"},  # assigned
        {"id": "p3", "mixins": {"rank": {"value": 3}}},  # assigned...
        {"id": "p3", "mixins": {"rank": {"value": 4}}},  # ...and changed again: one event
        {"id": "missing"},  # refused
    ]

    with CaptureQueriesContext(connection) as queries:
        response = integration.put(f"{ITEMS}/PRODUCT/bulk", body)

    assert response.status_code == 207
    assert audit_inserts(queries) == 1
    events = {event["document_id"]: event for event in trail()[1:]}
    assert set(events) == {"PRODUCT/p1", "PRODUCT/p2", "PRODUCT/p3"}
    assert events["PRODUCT/p1"]["changes"] == {
        "mixins": [{"rank": {"value": 1}}, {"rank": {"value": 9}}]
    }
    assert events["PRODUCT/p3"]["action"] == "assigned"
    assert events["PRODUCT/p3"]["changes"]["mixins"] == {"rank": {"value": 4}}


def test_a_bulk_upsert_that_changes_nothing_records_nothing(integration, catalog):
    integration.put(f"{ITEMS}/PRODUCT/p1", {"mixins": {"rank": {"value": 1}}})

    with CaptureQueriesContext(connection) as queries:
        integration.put(f"{ITEMS}/PRODUCT/bulk", [{"id": "p1", "mixins": {"rank": {"value": 1}}}])

    assert audit_inserts(queries) == 0
    assert len(trail()) == 1


def test_an_update_that_returns_to_the_old_values_within_a_bulk_records_nothing(
    integration, catalog
):
    integration.put(f"{ITEMS}/PRODUCT/p1", {"mixins": {"rank": {"value": 1}}})
    body = [
        {"id": "p1", "mixins": {"rank": {"value": 2}}},
        {"id": "p1", "mixins": {"rank": {"value": 1}}},
    ]

    integration.put(f"{ITEMS}/PRODUCT/bulk", body)

    assert len(trail()) == 1


def test_a_bulk_delete_records_the_removed_items_with_one_insert(integration, catalog):
    integration.put(f"{ITEMS}/PRODUCT/bulk", [{"id": "p1"}, {"id": "p2"}])

    with CaptureQueriesContext(connection) as queries:
        response = integration.delete(f"{ITEMS}/PRODUCT/bulk", ["p1", "p2", "p3"])

    assert response.status_code == 207
    assert audit_inserts(queries) == 1
    unassigned = trail(action="unassigned")
    assert sorted(event["document_id"] for event in unassigned) == ["PRODUCT/p1", "PRODUCT/p2"]
