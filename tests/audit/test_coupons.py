"""Coupon and redemption writes are recorded with their actor: the client that manages
coupons, the customer whose token redeems."""

from __future__ import annotations

import pytest

from ..conftest import TENANT, Caller
from ..coupons.test_redemption import COUPONS, TEN_OFF
from ..segments.factories import make_customer
from .conftest import AUDITED_CLIENT, trail

pytestmark = pytest.mark.django_db

REDEMPTION = {
    "orderTotal": {"amount": 50, "currency": "EUR"},
    "discount": {"amount": 10, "currency": "EUR"},
    "customerNumber": "c1",
}


def test_coupon_create_update_and_delete_are_recorded_as_the_client(integration):
    assert integration.post(COUPONS, TEN_OFF).status_code == 201
    assert integration.put(f"{COUPONS}/TENOFF", {**TEN_OFF, "name": "Ten"}).status_code == 200
    assert integration.put(f"{COUPONS}/TENOFF", {**TEN_OFF, "name": "Ten"}).status_code == 200
    assert integration.delete(f"{COUPONS}/TENOFF").status_code == 204
    assert integration.delete(f"{COUPONS}/TENOFF").status_code == 204

    events = trail(document_type="coupon")
    assert [event["action"] for event in events] == ["created", "updated", "deleted"]
    assert {(event["actor_kind"], event["actor"]) for event in events} == {
        ("client", AUDITED_CLIENT)
    }
    assert {event["document_id"] for event in events} == {"TENOFF"}
    created, updated, deleted = (event["changes"] for event in events)
    assert created["discount_amount"] == "10.00"
    assert created["name"] == "Ten off"
    assert updated == {"name": ["Ten off", "Ten"]}
    assert deleted == {"deleted": [False, True]}


def test_a_customer_redeeming_with_their_token_is_the_actor(integration, token_of):
    make_customer(TENANT, "c1")
    integration.post(COUPONS, {**TEN_OFF, "maxRedemptionsPerCustomer": 5})
    customer = Caller(token_of("acme-storefront", customer_id="c1"))

    response = customer.post(f"{COUPONS}/TENOFF/redemptions", REDEMPTION)

    assert response.status_code == 201, response.json()
    (event,) = trail(document_type="redemption")
    assert (event["actor_kind"], event["actor"]) == ("customer", "c1")
    assert event["action"] == "created"
    assert event["document_id"].startswith("TENOFF/")
    assert event["changes"]["coupon"] == "TENOFF"
    assert event["changes"]["customer_number"] == "c1"
    assert event["changes"]["discount_amount"] == "10.00"


def test_a_refused_redemption_records_nothing(integration):
    integration.post(COUPONS, {**TEN_OFF, "maxRedemptions": 1})
    assert integration.post(f"{COUPONS}/TENOFF/redemptions", REDEMPTION).status_code == 201

    refused = integration.post(f"{COUPONS}/TENOFF/redemptions", REDEMPTION)

    assert refused.status_code == 409
    assert len(trail(document_type="redemption")) == 1


def test_deleting_a_redemption_is_recorded(integration):
    integration.post(COUPONS, TEN_OFF)
    redemption = integration.post(f"{COUPONS}/TENOFF/redemptions", REDEMPTION).json()["id"]

    response = integration.delete(f"{COUPONS}/TENOFF/redemptions/{redemption}")

    assert response.status_code == 204
    events = trail(document_type="redemption")
    assert [event["action"] for event in events] == ["created", "deleted"]
    assert events[1]["document_id"] == f"TENOFF/{redemption}"
    assert events[1]["actor"] == AUDITED_CLIENT
