"""Coupons and redemptions are visible to and usable by their own tenant's coupon scopes only,
and a customer token never reads another customer's redemptions."""

from __future__ import annotations

import pytest

from coupons.models import Coupon, Redemption
from segments_project.tenancy import scopes

from ..conftest import OTHER_TENANT, TENANT, Caller
from ..segments.factories import assign_customer, make_customer, make_segment

pytestmark = pytest.mark.django_db

BASE = f"/coupon/{TENANT}/coupons"
VALID = {
    "code": "WINTER",
    "name": "Winter",
    "discountType": "ABSOLUTE",
    "discountAbsolute": {"amount": 10, "currency": "EUR"},
    "maxRedemptions": 5,
}
REDEMPTION = {
    "customerNumber": "c1",
    "orderTotal": {"amount": 50, "currency": "EUR"},
    "discount": {"amount": 10, "currency": "EUR"},
}

OPERATIONS = [
    ("GET", BASE, None),
    ("POST", BASE, {**VALID, "code": "INTRUDER"}),
    ("GET", f"{BASE}/WINTER", None),
    ("PUT", f"{BASE}/WINTER", {**VALID, "name": "stolen"}),
    ("PUT", f"{BASE}/WINTER?partial=true", {"name": "stolen"}),
    ("PATCH", f"{BASE}/WINTER", {"name": "stolen"}),
    ("DELETE", f"{BASE}/WINTER", None),
    ("POST", f"{BASE}/WINTER/validation", REDEMPTION),
    ("GET", f"{BASE}/WINTER/redemptions", None),
    ("POST", f"{BASE}/WINTER/redemptions", REDEMPTION),
    ("GET", f"{BASE}/WINTER/redemptions/{{redemption}}", None),
    ("DELETE", f"{BASE}/WINTER/redemptions/{{redemption}}", None),
]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]


def _snapshot() -> tuple[list[dict], list[dict]]:
    return list(Coupon.objects.values()), list(Redemption.objects.values())


@pytest.fixture
def stored(manager) -> dict:
    make_customer(TENANT, "c1")
    assert manager.post(BASE, VALID).status_code == 201
    response = manager.post(f"{BASE}/WINTER/redemptions", REDEMPTION)
    assert response.status_code == 201
    return {"redemption": response.json()["id"], "before": _snapshot()}


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_another_tenants_token_gets_403_and_changes_nothing(stored, outsider, method, path, body):
    response = outsider.request(method, path.format(redemption=stored["redemption"]), body)

    assert response.status_code == 403
    assert response.json()["status"] == 403
    assert response.json()["type"] == "insufficient_permissions"
    assert _snapshot() == stored["before"]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_a_token_without_coupon_scopes_gets_403_and_changes_nothing(
    stored, reader, method, path, body
):
    response = reader.request(method, path.format(redemption=stored["redemption"]), body)

    assert response.status_code == 403
    assert _snapshot() == stored["before"]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_without_a_token_every_operation_is_a_401(stored, anonymous, method, path, body):
    response = anonymous.request(method, path.format(redemption=stored["redemption"]), body)

    assert response.status_code == 401
    assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"
    assert _snapshot() == stored["before"]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_the_other_tenants_own_coupons_do_not_mix_with_ours(stored, outsider, method, path, body):
    own_path = path.replace(f"/{TENANT}/", f"/{OTHER_TENANT}/")

    response = outsider.request(method, own_path.format(redemption=stored["redemption"]), body)

    # The same code and redemption id are unknown in the other tenant.
    assert response.status_code in {200, 201, 404}, response.json()
    if method == "GET" and path == BASE:
        assert response.json() == []
    assert not Coupon.objects.filter(tenant_id=TENANT).exclude(public_id="WINTER").exists()
    ours = Coupon.objects.get(tenant_id=TENANT, public_id="WINTER")
    assert (ours.name, ours.version, ours.deleted) == ("Winter", 1, False)
    assert Redemption.objects.filter(tenant_id=TENANT).count() == 1


def test_both_tenants_may_use_the_same_code(stored, manager, outsider):
    assert outsider.post(f"/coupon/{OTHER_TENANT}/coupons", VALID).status_code == 201

    ours = manager.get(f"{BASE}/WINTER").json()
    theirs = outsider.get(f"/coupon/{OTHER_TENANT}/coupons/WINTER").json()

    assert ours["redemptionCount"] == 1
    assert theirs["redemptionCount"] == 0
    assert Coupon.objects.filter(public_id="WINTER").count() == 2


def test_the_emporix_tenant_header_must_match_the_path(stored, manager):
    response = manager.get(BASE, headers={"Emporix-Tenant": OTHER_TENANT})

    assert response.status_code == 400


def test_a_customer_never_reads_another_customers_redemptions(stored, manager, issue_token):
    make_customer(TENANT, "c2")
    gold = make_segment(TENANT, "gold")
    assign_customer(gold, make_customer(TENANT, "c3"))
    other = Caller(issue_token(customer_id="c2"))
    path = f"{BASE}/WINTER/redemptions/{stored['redemption']}"

    assert other.get(path).status_code == 404
    assert other.get(f"{path}?customerNumber=c1").status_code == 403
    assert other.get(f"{BASE}/WINTER/redemptions").status_code == 403
    assert other.get(f"{BASE}/WINTER/redemptions?q=customerNumber:c1").status_code == 403
    # Nor redeems in another customer's name.
    assert other.post(f"{BASE}/WINTER/redemptions", REDEMPTION).status_code == 403
    assert other.post(f"{BASE}/WINTER/validation", REDEMPTION).status_code == 403
    assert _snapshot() == stored["before"]


def test_a_customer_token_of_another_tenant_reads_nothing_of_ours(stored, issue_token):
    make_customer(OTHER_TENANT, "c1")
    foreign = Caller(
        issue_token(
            OTHER_TENANT,
            frozenset({scopes.CUSTOMER_TOKEN_ISSUE, scopes.COUPON_REDEEM}),
            customer_id="c1",
        )
    )
    path = f"{BASE}/WINTER/redemptions/{stored['redemption']}"

    assert foreign.get(path).status_code == 403
    assert foreign.get(f"{BASE}/WINTER").status_code == 403
    anonymous_body = {**REDEMPTION, "customerNumber": None}
    assert foreign.post(f"{BASE}/WINTER/redemptions", anonymous_body).status_code == 403
    assert _snapshot() == stored["before"]
