"""Every event type the API emits, single and bulk, with its data; the events are written
by `record()` in the write's transaction (an outbox)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from segments.models import Customer, Segment, SegmentCustomerAssignment
from segments.services import members as member_services
from segments_project.events.models import Event, EventStream

from ..catalog.factories import make_product
from ..conftest import TENANT
from ..segments.factories import assign_customer, make_customer, make_legal_entity, make_segment
from .helpers import clear_events, member, outbox

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
MEMBERS = f"{SEGMENTS}/gold/customers"
ITEMS = f"{SEGMENTS}/gold/items"
COUPONS = f"/coupon/{TENANT}/coupons"


@pytest.fixture
def directory(db):
    make_segment(TENANT, "gold")
    acme = make_legal_entity(TENANT, "acme-corp")
    make_customer(TENANT, "c1", legal_entities=(acme,))
    make_customer(TENANT, "c2")
    make_product(TENANT, "p1")
    make_product(TENANT, "p2")


def test_segment_created_updated_deleted(manager, db):
    body = {"id": "silver", "name": {"en": "Silver"}, "status": "ACTIVE", "siteCode": "main"}
    created = manager.post(SEGMENTS, body)
    assert created.status_code == 201, created.json()
    assert manager.patch(f"{SEGMENTS}/silver", {"name": {"en": "Silver+"}}).status_code == 204
    manager.patch(f"{SEGMENTS}/silver", {"name": {"en": "Silver+"}})  # no change: no event
    assert manager.delete(f"{SEGMENTS}/silver").status_code == 204

    assert outbox(TENANT) == [
        ("segment.created", "silver", {}),
        ("segment.updated", "silver", {"changedFields": ["name"]}),
        ("segment.deleted", "silver", {}),
    ]
    numbers = list(Event.objects.order_by("id").values_list("resource_type", "sequence_number"))
    assert numbers == [("segment", 1), ("segment", 2), ("segment", 3)]


def test_segment_updated_names_the_changed_fields_as_the_api_does(manager, db):
    body = {"id": "silver", "name": {"en": "Silver"}, "status": "ACTIVE", "siteCode": "main"}
    assert manager.post(SEGMENTS, body).status_code == 201
    change = {
        "siteCode": "outlet",
        "validity": {"from": "2030-01-01T00:00:00Z"},
        "metadata": {"mixins": {"x": "https://example.com/x.json"}},
        "mixins": {"x": 1},
    }
    assert manager.patch(f"{SEGMENTS}/silver", change).status_code == 204

    [(_, _, data)] = outbox(TENANT, prefix="segment.updated")
    assert data == {"changedFields": ["metadata.mixins", "mixins", "siteCode", "validity.from"]}


def test_member_added_and_removed_single_and_b2b(manager, directory):
    assert manager.put(f"{MEMBERS}/c2", {"mixins": {"a": 1}}).status_code == 201
    assert manager.put(f"{MEMBERS}/c1/acme-corp").status_code == 201
    assert manager.delete(f"{MEMBERS}/c1/acme-corp").status_code == 204

    assert outbox(TENANT) == [
        ("segment.member.added", "gold", member("c2")),
        ("segment.member.added", "gold", member("c1", "acme-corp")),
        ("segment.member.removed", "gold", member("c1", "acme-corp")),
    ]
    assert list(Event.objects.order_by("id").values_list("sequence_number", flat=True)) == [
        1,
        2,
        3,
    ]


def test_a_member_whose_mixins_change_is_updated_in_wire_names(manager, directory):
    assert manager.put(f"{MEMBERS}/c2", {"mixins": {"a": 1}}).status_code == 201
    assert manager.put(f"{MEMBERS}/c2", {"mixins": {"a": 2}}).status_code == 204
    schema = {"mixins": {"a": 2}, "metadata": {"mixins": {"a": "https://example.com/a.json"}}}
    assert manager.put(f"{MEMBERS}/c2", schema).status_code == 204

    assert outbox(TENANT)[1:] == [
        ("segment.member.updated", "gold", {**member("c2"), "changedFields": ["mixins"]}),
        (
            "segment.member.updated",
            "gold",
            {**member("c2"), "changedFields": ["metadata.mixins"]},
        ),
    ]


def test_an_automatic_member_written_manual_is_updated_with_its_new_type(manager, directory):
    gold = Segment.objects.get(public_id="gold")
    assigned = assign_customer(gold, Customer.objects.get(public_id="c2"))
    SegmentCustomerAssignment.objects.filter(pk=assigned.pk).update(assignment_type="AUTOMATIC")
    bulk = [{"customerId": "c2", "mixins": {"b": True}}]

    assert manager.put(f"{MEMBERS}/bulk", bulk).status_code == 207

    changed = {**member("c2", kind="MANUAL"), "changedFields": ["assignmentType", "mixins"]}
    assert outbox(TENANT) == [("segment.member.updated", "gold", changed)]


def test_bulk_members_emit_one_event_each_like_single_writes(manager, directory):
    body = [{"customerId": "c2"}, {"customerId": "c1", "legalEntityId": "acme-corp"}]
    assert manager.put(f"{MEMBERS}/bulk", body).status_code == 207
    removal = [{"customerId": "c2"}, {"customerId": "c1", "legalEntityId": "acme-corp"}]
    manager.delete(f"{MEMBERS}/bulk", removal)

    events = outbox(TENANT)
    assert events[:2] == [
        ("segment.member.added", "gold", member("c2")),
        ("segment.member.added", "gold", member("c1", "acme-corp")),
    ]
    # One bulk delete removes its rows in one statement, in no particular order.
    removed = [("segment.member.removed", "gold", member("c2"))]
    removed.append(("segment.member.removed", "gold", member("c1", "acme-corp")))
    assert sorted(events[2:], key=str) == sorted(removed, key=str)
    assert EventStream.objects.get(resource_id="gold").last_sequence_number == 4


def test_items_single_and_bulk(manager, directory):
    assert manager.put(f"{ITEMS}/PRODUCT/p1", {}).status_code == 201
    assert manager.put(f"{ITEMS}/PRODUCT/bulk", [{"id": "p2"}]).status_code == 207
    assert manager.delete(f"{ITEMS}/PRODUCT/bulk", ["p1", "p2"]).status_code in (204, 207)

    assert outbox(TENANT) == [
        ("segment.item.added", "gold", {"itemType": "PRODUCT", "itemId": "p1"}),
        ("segment.item.added", "gold", {"itemType": "PRODUCT", "itemId": "p2"}),
        ("segment.item.removed", "gold", {"itemType": "PRODUCT", "itemId": "p1"}),
        ("segment.item.removed", "gold", {"itemType": "PRODUCT", "itemId": "p2"}),
    ]


def test_exclusions_and_the_automatic_members_they_remove(manager, directory):
    assert manager.put(f"{SEGMENTS}/gold/exclusions/c2").status_code == 201
    assert manager.delete(f"{SEGMENTS}/gold/exclusions/c2").status_code == 204

    assert outbox(TENANT) == [
        ("segment.exclusion.added", "gold", {"customerId": "c2"}),
        ("segment.exclusion.removed", "gold", {"customerId": "c2"}),
    ]


def test_coupons_and_redemptions(manager, directory):
    coupon = {
        "code": "TENOFF",
        "name": "Ten off",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 10, "currency": "EUR"},
    }
    assert manager.post(COUPONS, coupon).status_code == 201
    assert manager.patch(f"{COUPONS}/TENOFF", {"name": "Ten"}).status_code in (200, 204)
    redeemed = manager.post(
        f"{COUPONS}/TENOFF/redemptions",
        {
            "orderTotal": {"amount": 50, "currency": "EUR"},
            "discount": {"amount": 5, "currency": "EUR"},
            "customerNumber": "c2",
            "orderCode": "O-1",
        },
    )
    assert redeemed.status_code == 201, redeemed.json()
    redemption_id = redeemed.json()["id"]
    assert manager.delete(f"{COUPONS}/TENOFF/redemptions/{redemption_id}").status_code == 204
    assert manager.delete(f"{COUPONS}/TENOFF").status_code == 204

    assert outbox(TENANT) == [
        ("coupon.created", "TENOFF", {}),
        ("coupon.updated", "TENOFF", {"changedFields": ["name"]}),
        (
            "coupon.redeemed",
            "TENOFF",
            {
                "redemptionId": redemption_id,
                "customerNumber": "c2",
                "legalEntityId": None,
                "orderCode": "O-1",
                "siteCode": None,
            },
        ),
        ("coupon.redemption.deleted", "TENOFF", {"redemptionId": redemption_id}),
        ("coupon.deleted", "TENOFF", {}),
    ]
    assert set(Event.objects.values_list("resource_type", flat=True)) == {"coupon"}


def test_coupon_updated_names_the_changed_fields_as_the_api_does(manager, db):
    coupon = {
        "code": "TENOFF",
        "name": "Ten off",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 10, "currency": "EUR"},
    }
    assert manager.post(COUPONS, coupon).status_code == 201
    change = {
        "maxRedemptionsPerCustomer": 2,
        "discountAbsolute": {"amount": 12, "currency": "EUR"},
        "restrictions": {"validFrom": "2030-01-01T00:00:00Z"},
        "issuedTo": "c2",
    }
    assert manager.patch(f"{COUPONS}/TENOFF", change).status_code in (200, 204)

    [(_, _, data)] = outbox(TENANT, prefix="coupon.updated")
    assert data == {
        "changedFields": [
            "discountAbsolute.amount",
            "issuedTo",
            "maxRedemptionsPerCustomer",
            "restrictions.validFrom",
        ]
    }


def test_deleting_a_customer_removes_its_memberships_then_the_customer(manager, directory):
    manager.put(f"{MEMBERS}/c1/acme-corp")
    clear_events()

    assert manager.delete(f"/customer/{TENANT}/customers/c1").status_code == 204

    removed = {**member("c1", "acme-corp"), "reason": "customer deleted"}
    assert outbox(TENANT) == [
        ("segment.member.removed", "gold", removed),
        ("customer.deleted", "c1", {}),
    ]


def test_a_change_rolled_back_leaves_no_event(directory):
    with pytest.raises(RuntimeError), transaction.atomic():
        member_services.customer_assignment_upsert(
            tenant=TENANT, segment_id="gold", customer_id="c2", document={}
        )
        assert len(outbox(TENANT)) == 1
        raise RuntimeError("rolled back")

    assert outbox(TENANT) == []
    assert not EventStream.objects.exists()


def test_a_write_that_changes_nothing_adds_no_events_statement(directory):
    def upsert() -> None:
        member_services.customer_assignment_upsert(
            tenant=TENANT, segment_id="gold", customer_id="c2", document={"mixins": {"a": 1}}
        )

    upsert()
    with CaptureQueriesContext(connection) as queries:
        upsert()  # the same document again: no audit entry, no event

    events = Event._meta.db_table
    assert not [query for query in queries if events in query["sql"]]
    assert len(outbox(TENANT)) == 1
