"""Coupons and anonymous visitor tokens: validation of coupons that allow anonymous use, and
nothing else (no redemption, no coupon reads, no customer named)."""

from __future__ import annotations

import pytest

from coupons.models import Redemption

from ..conftest import TENANT, Caller
from ..tenancy.visitors import visitor

pytestmark = pytest.mark.django_db

COUPONS = f"/coupon/{TENANT}/coupons"
ORDER = {
    "orderTotal": {"amount": 50, "currency": "EUR"},
    "discount": {"amount": 5, "currency": "EUR"},
}


def _coupon(manager: Caller, code: str, **changes) -> None:
    body = {
        "code": code,
        "name": code,
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 10, "currency": "EUR"},
        **changes,
    }
    response = manager.post(COUPONS, body)
    assert response.status_code == 201, response.content


@pytest.fixture
def coupons(manager) -> None:
    _coupon(manager, "ANYONE", allowAnonymous=True)
    _coupon(manager, "MEMBERS", allowAnonymous=False)


def test_a_visitor_validates_a_coupon_that_allows_anonymous_use(coupons):
    response = visitor().post(f"{COUPONS}/ANYONE/validation", ORDER)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["code"], body["valid"]) == ("ANYONE", True)
    assert "customerNumber" not in body
    assert body["discount"] == {"amount": 5, "currency": "EUR"}


def test_a_visitor_is_refused_a_coupon_that_does_not_allow_anonymous_use(coupons):
    response = visitor().post(f"{COUPONS}/MEMBERS/validation", ORDER)

    assert response.status_code == 400, response.content
    assert "ANONYMOUS_NOT_ALLOWED" in response.content.decode()


@pytest.mark.parametrize("named", [{"customerNumber": "c1"}, {"legalEntityId": "le1"}])
def test_a_visitor_cannot_validate_for_a_customer(coupons, named):
    response = visitor().post(f"{COUPONS}/ANYONE/validation", {**ORDER, **named})

    assert response.status_code == 403, response.content


def test_a_visitor_redeems_nothing_and_reads_no_coupon(coupons):
    caller = visitor()

    redeemed = caller.post(f"{COUPONS}/ANYONE/redemptions", {**ORDER, "orderCode": "o1"})
    read = caller.get(f"{COUPONS}/ANYONE")
    listed = caller.get(COUPONS)

    assert (redeemed.status_code, read.status_code, listed.status_code) == (403, 403, 403)
    assert not Redemption.objects.exists()
