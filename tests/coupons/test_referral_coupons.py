"""Referral coupons: create-or-return, 204, who may ask, the settings they are made from,
the owner's refusal at validation and redemption, and the coupon rules that still apply."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons.documents.currencies import Money
from coupons.documents.redemptions import RedemptionRequest
from coupons.models import Coupon, ReferralSettings
from coupons.services import (
    CouponRefused,
    Redeemer,
    Refusal,
    coupon_delete,
    coupon_update,
    referral_coupon_issue,
    referral_settings_save,
)
from coupons.services.redemptions import coupon_redeem, coupon_validate
from segments.models import Customer
from segments_project.api.documents import parse_iso_datetime
from segments_project.errors import ValidationFailed
from segments_project.tenancy import scopes

from ..conftest import OTHER_TENANT, TENANT, Caller
from ..segments.factories import make_customer

pytestmark = pytest.mark.django_db

REFERRALS = f"/coupon/{TENANT}/referral-coupons"
COUPONS = f"/coupon/{TENANT}/coupons"
ORDER = {"orderTotal": {"amount": 50, "currency": "EUR"}}
SETTINGS = {
    "discount_amount": Decimal("8.00"),
    "discount_currency": "EUR",
    "code_prefix": "REF-",
    "name_template": "Empfehlungsgutschein {customerName} ({customerNumber})",
}


@pytest.fixture
def referrals(db) -> ReferralSettings:
    """Tenant acme issues 8 EUR referral coupons; customers ada and bob exist."""
    make_customer(TENANT, "ada")
    make_customer(TENANT, "bob")
    return referral_settings_save(tenant=TENANT, values=SETTINGS)


def _customer(issue_token, customer_id: str) -> Caller:
    return Caller(issue_token(customer_id=customer_id))


def _issue(caller: Caller, customer: str = "ada") -> dict:
    response = caller.post(f"{REFERRALS}/{customer}")
    assert response.status_code == 200, response.content
    return response.json()


def _reasons(response) -> list[str]:
    return [detail["type"] for detail in response.json().get("details", [])]


# --- POST: create or return -----------------------------------------------------------------


def test_post_creates_the_referral_coupon_from_the_settings(referrals, manager):
    coupon = _issue(manager)

    assert coupon["referralCoupon"] is True
    assert coupon["issuedTo"] == "ada"
    assert coupon["code"].startswith("REF-")
    assert coupon["name"] == "Empfehlungsgutschein First Ada (ada)"
    assert coupon["discountType"] == "ABSOLUTE"
    assert coupon["discountAbsolute"] == {"amount": 8.0, "currency": "EUR"}
    assert coupon["maxRedemptions"] == -1
    assert coupon["maxRedemptionsPerCustomer"] == 1
    assert coupon["allowAnonymous"] is False
    assert coupon["status"] == "VALID"
    assert coupon["redemptionCount"] == 0
    assert coupon["restrictions"] == {"validFor": []}
    stored = Coupon.objects.get(tenant_id=TENANT, public_id=coupon["code"])
    assert (stored.referral_coupon, stored.issued_to) == (True, "ada")


def test_a_second_post_returns_the_same_coupon_and_creates_nothing(referrals, manager):
    first = _issue(manager)

    second = _issue(manager)

    assert second["code"] == first["code"]
    assert second == first
    assert Coupon.objects.filter(tenant_id=TENANT, referral_coupon=True).count() == 1


def test_each_customer_has_a_coupon_of_their_own(referrals, manager):
    ada, bob = _issue(manager, "ada"), _issue(manager, "bob")

    assert ada["code"] != bob["code"]
    assert (ada["issuedTo"], bob["issuedTo"]) == ("ada", "bob")


def test_the_coupon_keeps_the_terms_it_was_issued_with(referrals, manager):
    before = _issue(manager)
    referral_settings_save(tenant=TENANT, values={**SETTINGS, "discount_amount": Decimal(20)})

    after = _issue(manager)
    new = _issue(manager, "bob")

    assert after["discountAbsolute"]["amount"] == before["discountAbsolute"]["amount"] == 8.0
    assert new["discountAbsolute"]["amount"] == 20.0


def test_validity_days_and_limits_come_from_the_settings(referrals, manager):
    values = {**SETTINGS, "validity_days": 30, "max_redemptions": 5}
    referral_settings_save(tenant=TENANT, values={**values, "max_redemptions_per_customer": 2})
    start = timezone.now()

    coupon = _issue(manager)

    until = parse_iso_datetime(coupon["restrictions"]["validUntil"])
    assert timedelta(days=30) <= until - start < timedelta(days=30, minutes=1)
    assert (coupon["maxRedemptions"], coupon["maxRedemptionsPerCustomer"]) == (5, 2)


def test_a_customer_without_a_name_is_named_by_number(referrals, manager):
    make_customer(TENANT, "nameless")
    Customer.objects.filter(tenant_id=TENANT, public_id="nameless").update(
        first_name="", last_name=""
    )

    coupon = _issue(manager, "nameless")

    assert coupon["name"] == "Empfehlungsgutschein nameless (nameless)"


def test_post_for_a_customer_not_in_the_directory_is_404_and_creates_nothing(referrals, manager):
    response = manager.post(f"{REFERRALS}/nobody")

    assert response.status_code == 404, response.content
    assert "nobody" in response.json()["message"]
    assert not Coupon.objects.filter(referral_coupon=True).exists()


def test_post_without_referral_settings_is_409_and_creates_nothing(manager):
    make_customer(TENANT, "ada")

    response = manager.post(f"{REFERRALS}/ada")

    assert response.status_code == 409, response.content
    assert "referral settings" in response.json()["message"]
    assert not Coupon.objects.exists()


def test_a_deleted_referral_coupon_is_replaced_by_a_new_one(referrals, manager):
    first = _issue(manager)
    coupon_delete(tenant=TENANT, code=first["code"])

    assert manager.get(f"{REFERRALS}/ada").status_code == 204
    second = _issue(manager)

    assert second["code"] != first["code"]
    assert Coupon.objects.filter(referral_coupon=True, issued_to="ada").count() == 2


# --- GET --------------------------------------------------------------------------------------


def test_get_answers_204_when_the_customer_has_none(referrals, manager):
    response = manager.get(f"{REFERRALS}/ada")

    assert response.status_code == 204
    assert response.content == b""


def test_get_answers_the_coupon_post_made(referrals, manager):
    issued = _issue(manager)

    response = manager.get(f"{REFERRALS}/ada")

    assert response.status_code == 200
    assert response.json() == issued


def test_get_for_a_customer_not_in_the_directory_is_404(referrals, manager):
    response = manager.get(f"{REFERRALS}/nobody")

    assert response.status_code == 404, response.content


def test_get_still_answers_the_coupon_of_a_deleted_customer(referrals, manager):
    issued = _issue(manager)
    assert manager.delete(f"/customer/{TENANT}/customers/ada").status_code == 204

    response = manager.get(f"{REFERRALS}/ada")

    assert response.status_code == 200
    assert response.json()["code"] == issued["code"]


# --- who may ask ------------------------------------------------------------------------------


def test_a_customer_token_issues_and_reads_its_own_referral_coupon(referrals, issue_token):
    ada = _customer(issue_token, "ada")

    created = ada.post(f"{REFERRALS}/ada")
    read = ada.get(f"{REFERRALS}/ada")

    assert created.status_code == read.status_code == 200
    assert created.json() == read.json()
    coupon = read.json()
    assert coupon["issuedTo"] == "ada"
    assert coupon["referralCoupon"] is True
    # The customer's view: no seller-only members besides its own issuedTo.
    for member in ("maxRedemptions", "redemptionCount", "legalEntityRedemptions", "deleted"):
        assert member not in coupon


def test_a_customer_token_cannot_ask_for_another_customers_coupon(referrals, issue_token, manager):
    _issue(manager, "bob")
    ada = _customer(issue_token, "ada")

    responses = [ada.get(f"{REFERRALS}/bob"), ada.post(f"{REFERRALS}/bob")]

    assert [response.status_code for response in responses] == [403, 403]
    assert Coupon.objects.filter(issued_to="ada").count() == 0


@pytest.mark.parametrize(
    ("method", "granted", "status"),
    [
        ("GET", {scopes.COUPON_READ}, 204),
        ("GET", {scopes.COUPON_MANAGE}, 204),
        ("POST", {scopes.COUPON_MANAGE}, 200),
        ("POST", {scopes.COUPON_READ}, 403),
        # A client token naming no customer is not that customer, whatever it holds.
        ("GET", {scopes.COUPON_REDEEM, scopes.COUPON_REDEEM_ON_BEHALF}, 403),
        ("POST", {scopes.COUPON_REDEEM, scopes.COUPON_REDEEM_ON_BEHALF}, 403),
        ("GET", {scopes.SEGMENT_READ}, 403),
    ],
)
def test_client_tokens_need_the_sellers_scopes(referrals, issue_token, method, granted, status):
    caller = Caller(issue_token(granted=frozenset(granted)))

    response = caller.request(method, f"{REFERRALS}/ada")

    assert response.status_code == status, response.content


def test_another_tenants_token_is_refused(referrals, outsider):
    responses = [outsider.get(f"{REFERRALS}/ada"), outsider.post(f"{REFERRALS}/ada")]

    assert [response.status_code for response in responses] == [403, 403]
    assert not Coupon.objects.exists()


def test_tenants_issue_referral_coupons_of_their_own(referrals, manager, issue_token):
    make_customer(OTHER_TENANT, "ada")
    referral_settings_save(
        tenant=OTHER_TENANT, values={**SETTINGS, "discount_currency": "USD", "code_prefix": "G-"}
    )
    globex = Caller(issue_token(OTHER_TENANT))
    ours = _issue(manager)

    theirs = globex.post(f"/coupon/{OTHER_TENANT}/referral-coupons/ada").json()

    assert theirs["code"].startswith("G-") and ours["code"].startswith("REF-")
    assert theirs["discountAbsolute"]["currency"] == "USD"
    assert globex.get(f"/coupon/{OTHER_TENANT}/coupons/{ours['code']}").status_code == 404


def test_no_token_is_401(referrals, anonymous):
    assert anonymous.post(f"{REFERRALS}/ada").status_code == 401
    assert anonymous.get(f"{REFERRALS}/ada").status_code == 401


# --- the coupon among the others ----------------------------------------------------------------


def test_referral_coupon_is_false_for_other_coupons_and_filters_the_list(referrals, manager):
    referral = _issue(manager)
    body = {"code": "PLAIN", "name": "Plain", "discountAbsolute": {"amount": 1, "currency": "EUR"}}
    assert manager.post(COUPONS, body).status_code == 201

    plain = manager.get(f"{COUPONS}/PLAIN").json()
    every_one = manager.get(COUPONS).json()
    filtered = manager.get(f"{COUPONS}?q=referralCoupon:true").json()
    others = manager.get(f"{COUPONS}?q=referralCoupon:false").json()
    issued = manager.get(f"{COUPONS}?q=issuedTo:ada").json()

    assert plain["referralCoupon"] is False
    assert len(every_one) == 2
    assert [coupon["code"] for coupon in filtered] == [referral["code"]]
    assert [coupon["code"] for coupon in others] == ["PLAIN"]
    assert [coupon["code"] for coupon in issued] == [referral["code"]]


def test_a_write_cannot_make_or_unmake_a_referral_coupon(referrals, manager):
    referral = _issue(manager)
    url = f"{COUPONS}/{referral['code']}"

    changed = manager.put(url, {**referral, "name": "Renamed", "referralCoupon": False})
    created = manager.post(
        COUPONS, {"code": "FAKE", "name": "Fake", "issuedTo": "bob", "referralCoupon": True,
                  "discountAbsolute": {"amount": 1, "currency": "EUR"}},
    )  # fmt: skip

    assert changed.status_code == 200, changed.content
    assert manager.get(url).json()["referralCoupon"] is True
    assert manager.get(url).json()["name"] == "Renamed"
    assert created.status_code == 201
    assert manager.get(f"{COUPONS}/FAKE").json()["referralCoupon"] is False


def test_the_owner_of_a_referral_coupon_cannot_be_changed(referrals, manager):
    referral = _issue(manager)
    url = f"{COUPONS}/{referral['code']}"

    moved = manager.put(url, {**referral, "issuedTo": "bob"})
    kept = manager.put(url + "?partial=false", {"name": "No issuedTo sent", "discountAbsolute":
                       {"amount": 8, "currency": "EUR"}})  # fmt: skip

    assert moved.status_code == 400, moved.content
    assert moved.json()["details"][0]["field"] == "issuedTo"
    assert kept.status_code == 200, kept.content
    assert manager.get(url).json()["issuedTo"] == "ada"
    with pytest.raises(ValidationFailed):
        coupon_update(
            tenant=TENANT,
            code=referral["code"],
            document={**referral, "issuedTo": "", "metadata": {}},
        )


# --- redemption: the owner is refused, everyone else is not -----------------------------------


def test_the_owner_cannot_validate_or_redeem_its_referral_coupon(referrals, manager, issue_token):
    code = _issue(manager)["code"]
    ada = _customer(issue_token, "ada")

    responses = [
        ada.post(f"{COUPONS}/{code}/validation", ORDER),
        ada.post(f"{COUPONS}/{code}/redemptions", ORDER),
        manager.post(f"{COUPONS}/{code}/validation", {**ORDER, "customerNumber": "ada"}),
        manager.post(f"{COUPONS}/{code}/redemptions", {**ORDER, "customerNumber": "ada"}),
    ]

    for response in responses:
        assert response.status_code == 400, response.content
        assert _reasons(response) == ["OWN_REFERRAL_COUPON"]
    assert manager.get(f"{COUPONS}/{code}").json()["redemptionCount"] == 0


def test_another_customer_validates_and_redeems_the_referral_coupon(
    referrals, manager, issue_token
):
    code = _issue(manager)["code"]
    bob = _customer(issue_token, "bob")

    validated = bob.post(f"{COUPONS}/{code}/validation", ORDER)
    redeemed = bob.post(f"{COUPONS}/{code}/redemptions", ORDER)

    assert validated.status_code == 200, validated.content
    assert validated.json()["discount"] == {"amount": 8.0, "currency": "EUR"}
    assert redeemed.status_code == 201, redeemed.content
    assert manager.get(f"{COUPONS}/{code}").json()["redemptionCount"] == 1


def test_the_other_coupon_rules_still_apply(referrals, manager, issue_token):
    """maxRedemptionsPerCustomer 1 (the settings' default) and the currency are checked as
    for any coupon."""
    code = _issue(manager)["code"]
    bob = _customer(issue_token, "bob")
    assert bob.post(f"{COUPONS}/{code}/redemptions", ORDER).status_code == 201

    again = bob.post(f"{COUPONS}/{code}/redemptions", ORDER)
    dollars = bob.post(
        f"{COUPONS}/{code}/validation", {"orderTotal": {"amount": 50, "currency": "USD"}}
    )

    assert again.status_code == 409
    assert _reasons(again) == ["CUSTOMER_REDEMPTION_LIMIT_REACHED"]
    assert _reasons(dollars) == ["CURRENCY_MISMATCH", "CUSTOMER_REDEMPTION_LIMIT_REACHED"]


def test_the_refusal_is_listed_with_the_others_by_the_service(referrals):
    coupon, created = referral_coupon_issue(tenant=TENANT, customer_number="ada")
    request = RedemptionRequest(order_total=Money(Decimal(50), "USD"))

    with pytest.raises(CouponRefused) as validated:
        coupon_validate(tenant=TENANT, code=coupon.public_id, request=request,
                        redeemer=Redeemer("ada"))  # fmt: skip
    with pytest.raises(CouponRefused) as redeemed:
        coupon_redeem(tenant=TENANT, code=coupon.public_id, request=request,
                      redeemer=Redeemer("ada"))  # fmt: skip

    assert created is True
    expected = [Refusal.OWN_REFERRAL_COUPON, Refusal.CURRENCY_MISMATCH]
    assert validated.value.reasons == redeemed.value.reasons == expected


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("x" * 300, 404),  # longer than any id: no such customer
        ("ada%00", 400),  # not storable text
    ],
)
def test_a_bad_customer_number_is_a_4xx_and_creates_nothing(referrals, manager, path, status):
    responses = [manager.post(f"{REFERRALS}/{path}"), manager.get(f"{REFERRALS}/{path}")]

    assert [response.status_code for response in responses] == [status, status]
    assert not Coupon.objects.exists()


def test_a_body_sent_along_is_ignored(referrals, manager):
    response = manager.post(f"{REFERRALS}/ada", {"discountAbsolute": {"amount": 1000}})

    assert response.status_code == 200
    assert response.json()["discountAbsolute"]["amount"] == 8.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_template": "Referral of {customer.__class__}"}, "nameTemplate"),
        ({"name_template": "Referral of {customerName:>99999}"}, "nameTemplate"),
        ({"name_template": "Referral of {email}"}, "nameTemplate"),
        ({"name_template": "Referral of {customerName"}, "nameTemplate"),
        ({"name_template": "  "}, "nameTemplate"),
        ({"code_prefix": "REF /"}, "codePrefix"),
        ({"code_prefix": "R" * 33}, "codePrefix"),
        ({"discount_currency": "EURO"}, "discountAbsolute.currency"),
        ({"discount_amount": Decimal(0)}, "discountAbsolute.amount"),
        ({"discount_amount": Decimal("0.001")}, "discountAbsolute.amount"),
        ({"max_redemptions": -2}, "maxRedemptions"),
        ({"allow_anonymous": True}, "maxRedemptionsPerCustomer"),  # per-customer limit 1
        ({"validity_days": 0}, "validityDays"),
    ],
)
def test_settings_that_would_make_a_bad_coupon_are_refused(db, changes, field):
    make_customer(TENANT, "ada")
    referral_settings_save(tenant=TENANT, values=SETTINGS)

    with pytest.raises(ValidationFailed) as refused:
        referral_settings_save(tenant=TENANT, values={**SETTINGS, **changes})

    assert refused.value.details[0].field == field
    stored = ReferralSettings.objects.get(tenant_id=TENANT)
    assert stored.name_template == SETTINGS["name_template"]
    assert stored.code_prefix == SETTINGS["code_prefix"]


def test_anonymous_users_may_redeem_when_the_settings_allow_it(referrals, manager):
    values = {**SETTINGS, "allow_anonymous": True, "max_redemptions_per_customer": -1}
    referral_settings_save(tenant=TENANT, values=values)
    code = _issue(manager)["code"]

    validated = manager.post(f"{COUPONS}/{code}/validation", ORDER)

    assert validated.status_code == 200, validated.content
