"""Validation and redemption: who redeems, every refusal reason, segment membership (B2C and
B2B), eligible cart lines, discount math, and the redemptions themselves."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons.documents.currencies import Money
from coupons.documents.redemptions import RedemptionRequest
from coupons.models import Redemption
from coupons.services import CouponRefused, Redeemer, Refusal, coupon_redeem
from segments_project.api.documents import format_datetime
from segments_project.tenancy import scopes

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT, Caller
from ..segments.factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

pytestmark = pytest.mark.django_db

COUPONS = f"/coupon/{TENANT}/coupons"
EUR_50 = {"amount": 50, "currency": "EUR"}
EUR_5 = {"amount": 5, "currency": "EUR"}
TEN_OFF = {
    "code": "TENOFF",
    "name": "Ten off",
    "discountType": "ABSOLUTE",
    "discountAbsolute": {"amount": 10, "currency": "EUR"},
}
GOLD_15 = {
    "code": "GOLD15",
    "name": "15% for Gold",
    "discountType": "PERCENT",
    "discountPercentage": 15,
    "discountAbsolute": None,
    "segmentRestricted": True,
    "restrictions": {"segments": ["gold"]},
}


def _when(**delta) -> str:
    return format_datetime(timezone.now() + timedelta(**delta))


def _coupon(manager: Caller, **changes) -> str:
    body = {**TEN_OFF, **changes}
    response = manager.post(
        COUPONS, {key: value for key, value in body.items() if value is not None}
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _body(customer: str | None = "c1", **extra) -> dict:
    """Without items, a discount of 5 EUR on 50 EUR: every coupon here grants at least that
    (TENOFF 10, GOLD15 7.50). With items, none: the service computes it on them."""
    body = {"orderTotal": EUR_50, **extra}
    if "items" not in extra:
        body.setdefault("discount", EUR_5)
    if customer is not None:
        body["customerNumber"] = customer
    return body


def _validate(caller: Caller, code: str, body: dict):
    return caller.post(f"{COUPONS}/{code}/validation", body)


def _redeem(caller: Caller, code: str, body: dict):
    return caller.post(f"{COUPONS}/{code}/redemptions", body)


def _reasons(response) -> list[str]:
    return [detail["type"] for detail in response.json().get("details", [])]


def _refused(response, reason: str, status: int = 400) -> None:
    assert response.status_code == status, response.json()
    assert response.json()["status"] == status
    assert _reasons(response) == [reason]
    assert response.json()["details"][0]["message"]


@pytest.fixture
def shop():
    """Segment gold (site main) with member c1; c2 is a customer in no segment.

    Catalog: tools > power > drills; garden. Gold holds the product p-direct and the
    category power (with its subtree).
    """
    gold = make_segment(TENANT, "gold")
    c1 = make_customer(TENANT, "c1")
    make_customer(TENANT, "c2")
    assign_customer(gold, c1)
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    drills = make_category(TENANT, "drills", parent=power)
    garden = make_category(TENANT, "garden")
    products = {
        pid: make_product(TENANT, pid)
        for pid in ("p-direct", "p-power", "p-drill", "p-hammer", "p-rake", "p-mixed", "p-none")
    }
    make_assignment(power, products["p-power"])
    make_assignment(drills, products["p-drill"])
    make_assignment(tools, products["p-hammer"])
    make_assignment(garden, products["p-rake"])
    make_assignment(garden, products["p-mixed"])
    make_assignment(drills, products["p-mixed"])
    assign_item(gold, products["p-direct"])
    assign_item(gold, power)
    return {"gold": gold, "tools": tools, "power": power, "drills": drills, "garden": garden}


# --- who redeems ----------------------------------------------------------------------------


def test_validation_answers_200_for_a_redeemable_coupon(manager, shop):
    _coupon(manager)

    response = _validate(manager, "TENOFF", _body())

    assert response.status_code == 200
    assert response.json() == {
        "code": "TENOFF",
        "valid": True,
        "customerNumber": "c1",
        "discount": EUR_5,
    }
    assert not Redemption.objects.exists()


def test_redemption_answers_201_with_the_id_and_records_it(manager, shop):
    _coupon(manager)

    response = _redeem(manager, "tenoff", _body(orderCode="O-1", siteCode="main"))

    assert response.status_code == 201
    redemption_id = response.json()["id"]
    stored = manager.get(f"{COUPONS}/TENOFF/redemptions/{redemption_id}").json()
    assert stored["id"] == redemption_id
    assert stored["code"] == "TENOFF"
    assert stored["orderCode"] == "O-1"
    assert stored["customerNumber"] == "c1"
    assert stored["siteCode"] == "main"
    assert stored["orderTotal"] == EUR_50
    assert stored["discount"] == EUR_5
    assert "redeemedAt" in stored
    assert "legalEntityId" not in stored


def test_a_customer_token_redeems_for_its_own_customer(manager, issue_token, shop):
    _coupon(manager, **{key: value for key, value in GOLD_15.items() if key != "code"})
    member = Caller(issue_token(customer_id="c1"))
    outsider = Caller(issue_token(customer_id="c2"))

    mine = _validate(member, "TENOFF", _body(customer=None))
    named_self = _redeem(member, "TENOFF", _body(customer="c1"))
    not_member = _validate(outsider, "TENOFF", _body(customer=None))
    other = _redeem(outsider, "TENOFF", _body(customer="c1"))

    assert mine.status_code == 200
    assert mine.json()["customerNumber"] == "c1"
    assert named_self.status_code == 201
    assert Redemption.objects.get().customer_number == "c1"
    _refused(not_member, "NOT_A_SEGMENT_MEMBER")
    assert other.status_code == 403
    assert Redemption.objects.count() == 1


def test_naming_a_customer_needs_redeem_on_behalf(manager, issue_token, shop):
    _coupon(manager, allowAnonymous=True)
    redeemer = Caller(issue_token(granted=frozenset({scopes.COUPON_REDEEM})))
    on_behalf = Caller(issue_token(granted=frozenset({scopes.COUPON_REDEEM_ON_BEHALF})))

    assert _validate(redeemer, "TENOFF", _body()).status_code == 403
    assert _redeem(redeemer, "TENOFF", _body()).status_code == 403
    assert _redeem(redeemer, "TENOFF", _body(customer=None)).status_code == 201
    assert _redeem(on_behalf, "TENOFF", _body()).status_code == 201
    assert sorted(Redemption.objects.values_list("customer_number", flat=True)) == ["", "c1"]


def test_the_coupon_manage_scope_alone_cannot_redeem(manager, issue_token, shop):
    _coupon(manager)
    seller = Caller(issue_token(granted=frozenset({scopes.COUPON_MANAGE})))

    assert _redeem(seller, "TENOFF", _body()).status_code == 403
    assert _validate(seller, "TENOFF", _body()).status_code == 403


# --- every refusal reason -------------------------------------------------------------------


def test_not_a_segment_member(manager, shop):
    _coupon(manager, **GOLD_15)

    _refused(_validate(manager, "GOLD15", _body("c2")), "NOT_A_SEGMENT_MEMBER")
    _refused(_redeem(manager, "GOLD15", _body("c2")), "NOT_A_SEGMENT_MEMBER")
    _refused(_redeem(manager, "GOLD15", _body("unknown-customer")), "NOT_A_SEGMENT_MEMBER")
    assert _redeem(manager, "GOLD15", _body("c1")).status_code == 201


def test_membership_follows_the_segment_status_validity_and_site(manager, shop):
    _coupon(manager, **GOLD_15)
    gold = shop["gold"]

    assert _validate(manager, "GOLD15", _body(siteCode="main")).status_code == 200
    _refused(_validate(manager, "GOLD15", _body(siteCode="outlet")), "NOT_A_SEGMENT_MEMBER")
    gold.status = "INACTIVE"
    gold.save()
    _refused(_validate(manager, "GOLD15", _body()), "NOT_A_SEGMENT_MEMBER")
    gold.status = "ACTIVE"
    gold.valid_to = timezone.now() - timedelta(days=1)
    gold.save()
    _refused(_validate(manager, "GOLD15", _body()), "NOT_A_SEGMENT_MEMBER")


def test_a_member_of_any_of_the_segments_may_redeem(manager, shop):
    silver = make_segment(TENANT, "silver")
    assign_customer(silver, make_customer(TENANT, "c3"))
    _coupon(manager, **{**GOLD_15, "restrictions": {"segments": ["gold", "silver"]}})

    assert _validate(manager, "GOLD15", _body("c1")).status_code == 200
    assert _validate(manager, "GOLD15", _body("c3")).status_code == 200
    _refused(_validate(manager, "GOLD15", _body("c2")), "NOT_A_SEGMENT_MEMBER")


def test_not_yet_valid(manager, shop):
    _coupon(manager, restrictions={"validFrom": _when(days=1)})

    _refused(_validate(manager, "TENOFF", _body()), "NOT_YET_VALID")
    _refused(_redeem(manager, "TENOFF", _body()), "NOT_YET_VALID")


def test_expired(manager, shop):
    _coupon(manager, restrictions={"validUntil": _when(minutes=-1)})

    _refused(_validate(manager, "TENOFF", _body()), "EXPIRED")
    _refused(_redeem(manager, "TENOFF", _body()), "EXPIRED")


def test_min_order_value_not_reached(manager, shop):
    _coupon(manager, restrictions={"minOrderValue": {"amount": 50.01, "currency": "EUR"}})

    _refused(_validate(manager, "TENOFF", _body()), "MIN_ORDER_VALUE_NOT_REACHED")
    enough = _body(orderTotal={"amount": 50.01, "currency": "EUR"})
    assert _redeem(manager, "TENOFF", enough).status_code == 201


def test_currency_mismatch(manager, shop):
    _coupon(manager)
    _coupon(
        manager,
        code="SHIP",
        discountType="FREE_SHIPPING",
        discountAbsolute=None,
        restrictions={"minOrderValue": {"amount": 10, "currency": "USD"}},
    )
    in_chf = _body(orderTotal={"amount": 50, "currency": "CHF"}, discount=None)

    _refused(_validate(manager, "TENOFF", in_chf), "CURRENCY_MISMATCH")
    _refused(_validate(manager, "SHIP", in_chf), "CURRENCY_MISMATCH")


def test_redemption_limit_reached(manager, shop):
    _coupon(manager, maxRedemptions=2)
    assert _redeem(manager, "TENOFF", _body("c1")).status_code == 201
    assert _redeem(manager, "TENOFF", _body("c2")).status_code == 201

    _refused(_redeem(manager, "TENOFF", _body("c3")), "REDEMPTION_LIMIT_REACHED", status=409)
    # The validation contract has no 409: the same refusal is a 400 there.
    _refused(_validate(manager, "TENOFF", _body("c3")), "REDEMPTION_LIMIT_REACHED")
    assert Redemption.objects.count() == 2


def test_customer_redemption_limit_reached(manager, shop):
    _coupon(manager, maxRedemptionsPerCustomer=1)
    assert _redeem(manager, "TENOFF", _body("c1")).status_code == 201

    refused = _redeem(manager, "TENOFF", _body("c1"))

    _refused(refused, "CUSTOMER_REDEMPTION_LIMIT_REACHED", status=409)
    _refused(_validate(manager, "TENOFF", _body("c1")), "CUSTOMER_REDEMPTION_LIMIT_REACHED")
    assert _redeem(manager, "TENOFF", _body("c2")).status_code == 201


def test_anonymous_not_allowed(manager, shop):
    _coupon(manager)
    _coupon(manager, code="ANYONE", allowAnonymous=True)

    _refused(_validate(manager, "TENOFF", _body(customer=None)), "ANONYMOUS_NOT_ALLOWED")
    _refused(_redeem(manager, "TENOFF", _body(customer=None)), "ANONYMOUS_NOT_ALLOWED")
    assert _redeem(manager, "ANYONE", _body(customer=None)).status_code == 201
    assert Redemption.objects.get().customer_number == ""


def test_deleted(manager, shop):
    _coupon(manager)
    assert manager.delete(f"{COUPONS}/TENOFF").status_code == 204

    _refused(_validate(manager, "TENOFF", _body()), "DELETED")
    _refused(_redeem(manager, "TENOFF", _body()), "DELETED")


def test_not_valid_for_customer(manager, shop):
    _coupon(manager, restrictions={"validFor": ["c2"]})

    _refused(_validate(manager, "TENOFF", _body("c1")), "NOT_VALID_FOR_CUSTOMER")
    _refused(_redeem(manager, "TENOFF", _body("c1")), "NOT_VALID_FOR_CUSTOMER")
    assert _redeem(manager, "TENOFF", _body("c2")).status_code == 201


def test_no_eligible_items(manager, shop):
    _coupon(manager, **GOLD_15)

    response = _validate(
        manager, "GOLD15", _body(items=[{"productId": "p-rake", "quantity": 1, "unitPrice": 5}])
    )

    _refused(response, "NO_ELIGIBLE_ITEMS")


def test_every_failing_check_is_listed_in_order(manager, shop):
    _coupon(
        manager,
        maxRedemptions=0,
        restrictions={
            "validUntil": _when(days=-1),
            "validFor": ["c2"],
            "minOrderValue": {"amount": 100, "currency": "EUR"},
        },
    )

    response = _redeem(manager, "TENOFF", _body("c1"))

    assert response.status_code == 400
    assert _reasons(response) == [
        "EXPIRED",
        "NOT_VALID_FOR_CUSTOMER",
        "MIN_ORDER_VALUE_NOT_REACHED",
        "REDEMPTION_LIMIT_REACHED",
    ]


def test_an_unknown_coupon_is_a_404(manager, shop):
    assert _validate(manager, "NOPE", _body()).status_code == 404
    assert _redeem(manager, "NOPE", _body()).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customerNumber": "c1"}, "orderTotal"),
        (
            {"orderTotal": EUR_50, "discount": {"amount": 1, "currency": "USD"}},
            "discount.currency",
        ),
        ({"orderTotal": {"amount": 1, "currency": "EURO"}}, "orderTotal.currency"),
        (
            {"orderTotal": EUR_50, "items": [{"productId": "p", "quantity": 0, "unitPrice": 1}]},
            "items[0].quantity",
        ),
        (
            {"orderTotal": EUR_50, "items": [{"productId": "p", "quantity": 1}]},
            "items[0].unitPrice",
        ),
        (
            {"orderTotal": EUR_50, "items": [{"productId": "a b", "quantity": 1, "unitPrice": 1}]},
            "items[0].productId",
        ),
        ({"orderTotal": EUR_50, "items": {"productId": "p"}}, "items"),
        ({"orderTotal": EUR_50, "discount": EUR_50, "legalEntityId": "le-1"}, "legalEntityId"),
        ({"orderTotal": EUR_50, "discount": EUR_50, "siteCode": "s" * 65}, "siteCode"),
        (
            {
                "orderTotal": EUR_50,
                "items": [{"productId": "p", "quantity": 1_000_000, "unitPrice": 10**10}],
            },
            "items",
        ),
    ],
)
def test_malformed_redemption_bodies_are_400s(manager, shop, body, field):
    _coupon(manager, allowAnonymous=True)

    response = _redeem(manager, "TENOFF", body)

    assert response.status_code == 400, response.json()
    assert response.json()["details"][0]["field"] == field
    assert not Redemption.objects.exists()


# --- B2B ------------------------------------------------------------------------------------


@pytest.fixture
def b2b(shop):
    """c1 acts for le-1 and le-2; the B2B segment buyers holds c1 acting for le-1 only."""
    le1 = make_legal_entity(TENANT, "le-1")
    le2 = make_legal_entity(TENANT, "le-2")
    make_legal_entity(TENANT, "le-3")
    customer = make_customer(TENANT, "b1", legal_entities=(le1, le2))
    buyers = make_segment(TENANT, "buyers")
    assign_customer(buyers, customer, le1)
    return {"buyers": buyers}


def test_b2b_membership_is_per_legal_entity(manager, b2b):
    _coupon(manager, **{**GOLD_15, "restrictions": {"segments": ["buyers"]}})

    assert _validate(manager, "GOLD15", _body("b1", legalEntityId="le-1")).status_code == 200
    _refused(
        _validate(manager, "GOLD15", _body("b1", legalEntityId="le-2")), "NOT_A_SEGMENT_MEMBER"
    )
    _refused(_validate(manager, "GOLD15", _body("b1")), "NOT_A_SEGMENT_MEMBER")
    # Acting for a legal entity the customer does not belong to is not a redemption at all.
    foreign = _validate(manager, "GOLD15", _body("b1", legalEntityId="le-3"))
    assert foreign.status_code == 400
    assert foreign.json()["details"][0]["field"] == "legalEntityId"


def test_a_b2b_customer_token_redeems_for_its_legal_entity(manager, issue_token, b2b):
    _coupon(manager, **{**GOLD_15, "restrictions": {"segments": ["buyers"]}})
    acting_for_le1 = Caller(issue_token(customer_id="b1", legal_entity_id="le-1"))
    acting_for_le2 = Caller(issue_token(customer_id="b1", legal_entity_id="le-2"))

    response = _redeem(acting_for_le1, "GOLD15", _body(customer=None))
    refused = _redeem(acting_for_le2, "GOLD15", _body(customer=None))

    assert response.status_code == 201
    assert Redemption.objects.get().legal_entity_public_id == "le-1"
    _refused(refused, "NOT_A_SEGMENT_MEMBER")


def test_the_per_customer_limit_counts_each_legal_entity_apart(manager, b2b):
    _coupon(manager, maxRedemptionsPerCustomer=1)

    assert _redeem(manager, "TENOFF", _body("b1", legalEntityId="le-1")).status_code == 201
    assert _redeem(manager, "TENOFF", _body("b1", legalEntityId="le-2")).status_code == 201
    assert _redeem(manager, "TENOFF", _body("b1")).status_code == 201
    _refused(
        _redeem(manager, "TENOFF", _body("b1", legalEntityId="le-1")),
        "CUSTOMER_REDEMPTION_LIMIT_REACHED",
        status=409,
    )
    _redeem(manager, "TENOFF", _body("c1"))

    coupon = manager.get(f"{COUPONS}/TENOFF").json()
    assert coupon["redemptionCount"] == 4
    assert coupon["legalEntityRedemptions"] == [
        {"legalEntityId": "le-1", "count": 1},
        {"legalEntityId": "le-2", "count": 1},
    ]


# --- eligible lines -------------------------------------------------------------------------


def _lines(*entries: tuple[str, int, float]) -> list[dict]:
    return [
        {"productId": product, "quantity": quantity, "unitPrice": price}
        for product, quantity, price in entries
    ]


def _eligible(response) -> dict[str, bool]:
    assert response.status_code in (200, 201), response.json()
    return {line["productId"]: line["eligible"] for line in response.json()["items"]}


def test_segment_coupons_apply_to_direct_category_and_subcategory_products(manager, shop):
    _coupon(manager, **GOLD_15)
    cart = _lines(
        ("p-direct", 1, 10),
        ("p-power", 1, 10),
        ("p-drill", 1, 10),
        ("p-hammer", 1, 10),
        ("p-rake", 1, 10),
        ("p-mixed", 1, 10),
        ("p-none", 1, 10),
        ("p-unknown", 1, 10),
    )

    response = _validate(manager, "GOLD15", _body(items=cart, discount=None))

    assert _eligible(response) == {
        "p-direct": True,
        "p-power": True,
        "p-drill": True,
        "p-hammer": False,
        "p-rake": False,
        "p-mixed": True,
        "p-none": False,
        "p-unknown": False,
    }
    lines = response.json()["items"]
    assert [line["index"] for line in lines] == list(range(8))
    assert lines[0]["segmentIds"] == ["gold"]
    assert lines[3]["segmentIds"] == []
    assert response.json()["eligibleSubtotal"] == {"amount": 40, "currency": "EUR"}
    assert response.json()["discount"] == {"amount": 6, "currency": "EUR"}


def test_only_the_members_segments_make_lines_eligible(manager, shop):
    silver = make_segment(TENANT, "silver")
    assign_item(silver, make_product(TENANT, "p-silver"))
    _coupon(manager, **{**GOLD_15, "restrictions": {"segments": ["gold", "silver"]}})

    response = _validate(
        manager, "GOLD15", _body(items=_lines(("p-silver", 1, 10), ("p-direct", 1, 10)))
    )

    assert _eligible(response) == {"p-silver": False, "p-direct": True}


def test_category_coupons_apply_to_included_subtrees_minus_excluded_ones(manager, shop):
    _coupon(
        manager,
        categoryRestricted=True,
        restrictions={"includedCategories": ["tools"], "excludedCategories": ["drills"]},
        discountType="PERCENT",
        discountPercentage=10,
        discountAbsolute=None,
    )
    cart = _lines(
        ("p-hammer", 2, 10),
        ("p-power", 1, 30),
        ("p-drill", 1, 100),
        ("p-mixed", 1, 100),
        ("p-rake", 1, 100),
        ("p-direct", 1, 100),
    )

    response = _validate(manager, "TENOFF", _body(items=cart))

    assert _eligible(response) == {
        "p-hammer": True,
        "p-power": True,
        "p-drill": False,
        "p-mixed": False,
        "p-rake": False,
        "p-direct": False,
    }
    assert "segmentIds" not in response.json()["items"][0]
    assert response.json()["eligibleSubtotal"]["amount"] == 50
    assert response.json()["discount"]["amount"] == 5


def test_an_exclusions_only_category_coupon_applies_to_everything_else(manager, shop):
    _coupon(manager, categoryRestricted=True, restrictions={"excludedCategories": ["power"]})

    response = _validate(
        manager,
        "TENOFF",
        _body(items=_lines(("p-hammer", 1, 5), ("p-drill", 1, 5), ("p-none", 1, 5))),
    )

    assert _eligible(response) == {"p-hammer": True, "p-drill": False, "p-none": True}


def test_unrestricted_coupons_apply_to_every_line(manager, shop):
    _coupon(manager)

    response = _validate(manager, "TENOFF", _body(items=_lines(("p-rake", 3, 2.5))))

    assert _eligible(response) == {"p-rake": True}
    assert response.json()["eligibleSubtotal"] == {"amount": 7.5, "currency": "EUR"}
    # ABSOLUTE is capped at the eligible subtotal.
    assert response.json()["discount"] == {"amount": 7.5, "currency": "EUR"}


@pytest.mark.parametrize(
    ("coupon", "lines", "subtotal", "discount"),
    [
        ({"discountType": "PERCENT", "discountPercentage": 15}, [("p-power", 1, 33.33)], 33.33, 5),
        (
            {"discountType": "PERCENT", "discountPercentage": 12.5},
            [("p-power", 3, 0.99)],
            2.97,
            0.37,
        ),
        (
            {"discountType": "PERCENT", "discountPercentage": 100},
            [("p-power", 2, 19.99)],
            39.98,
            39.98,
        ),
        ({"discountType": "PERCENT", "discountPercentage": 0}, [("p-power", 1, 10)], 10, 0),
        (
            {"discountType": "ABSOLUTE", "discountAbsolute": {"amount": 10, "currency": "EUR"}},
            [("p-power", 4, 9.99)],
            39.96,
            10,
        ),
        (
            {"discountType": "ABSOLUTE", "discountAbsolute": {"amount": 10, "currency": "EUR"}},
            [("p-power", 1, 9.99)],
            9.99,
            9.99,
        ),
        ({"discountType": "FREE_SHIPPING"}, [("p-power", 2, 10)], 20, 0),
    ],
    ids=[
        "percent-half-up",
        "percent-fraction",
        "percent-all",
        "percent-none",
        "absolute",
        "absolute-capped",
        "free-shipping",
    ],
)
def test_discount_math_on_the_eligible_lines(manager, shop, coupon, lines, subtotal, discount):
    body = {**GOLD_15, "discountPercentage": None, **coupon}
    _coupon(manager, **body)
    cart = _lines(*lines, ("p-rake", 1, 1000))

    response = _validate(manager, "GOLD15", _body(items=cart, discount=None))

    assert response.status_code == 200, response.json()
    assert response.json()["eligibleSubtotal"] == {"amount": subtotal, "currency": "EUR"}
    assert response.json()["discount"] == {"amount": discount, "currency": "EUR"}


def test_a_redemption_with_items_records_the_computed_discount(manager, shop):
    _coupon(manager, **GOLD_15)
    cart = _lines(("p-power", 2, 50), ("p-rake", 1, 100))

    without = _redeem(manager, "GOLD15", _body(items=cart, discount=None))
    matching = _redeem(
        manager, "GOLD15", _body(items=cart, discount={"amount": 15, "currency": "EUR"})
    )
    differing = _redeem(
        manager, "GOLD15", _body(items=cart, discount={"amount": 30, "currency": "EUR"})
    )

    assert without.status_code == matching.status_code == 201
    assert without.json()["discount"] == {"amount": 15, "currency": "EUR"}
    assert _eligible(without) == {"p-power": True, "p-rake": False}
    _refused(differing, "DISCOUNT_MISMATCH")
    assert differing.json()["details"][0]["field"] == "discount.amount"
    assert [
        str(amount) for amount in Redemption.objects.values_list("discount_amount", flat=True)
    ] == ["15.00", "15.00"]


# --- the discount a redemption records -----------------------------------------------------

TEN_PERCENT = {"discountType": "PERCENT", "discountPercentage": 10, "discountAbsolute": None}


def _eur(amount: float) -> dict:
    return {"amount": amount, "currency": "EUR"}


def test_a_discount_above_what_the_coupon_grants_is_refused(manager, issue_token, shop):
    _coupon(manager, **TEN_PERCENT)
    customer = Caller(issue_token(customer_id="c1"))
    greedy = _body(customer=None, orderTotal=_eur(10), discount=_eur(5000))

    validated = _validate(customer, "TENOFF", greedy)
    redeemed = _redeem(customer, "TENOFF", greedy)

    _refused(validated, "DISCOUNT_TOO_HIGH")
    _refused(redeemed, "DISCOUNT_TOO_HIGH")
    assert redeemed.json()["details"][0]["field"] == "discount.amount"
    assert "1.00 EUR" in redeemed.json()["details"][0]["message"]
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    ("coupon", "order_total", "discount", "accepted"),
    [
        (TEN_PERCENT, 299.3, 29.93, True),
        (TEN_PERCENT, 299.3, 29.94, True),  # a cent of rounding
        (TEN_PERCENT, 299.3, 29.95, False),
        (TEN_PERCENT, 299.3, 20, True),  # on the subtotal, or on some lines only
        ({}, 50, 10, True),
        ({}, 50, 10.01, False),
        ({}, 8, 8, True),  # capped at the order total
        ({}, 8, 8.01, False),
        ({"discountType": "FREE_SHIPPING", "discountAbsolute": None}, 50, 4.9, True),
        ({"discountType": "FREE_SHIPPING", "discountAbsolute": None}, 50, 50.01, False),
    ],
    ids=[
        "percent",
        "percent-rounded-up",
        "percent-above",
        "percent-below",
        "absolute",
        "absolute-above",
        "absolute-capped",
        "absolute-above-the-order",
        "free-shipping",
        "free-shipping-above-the-order",
    ],
)
def test_a_discount_sent_without_items_is_checked_against_the_coupon(
    manager, shop, coupon, order_total, discount, accepted
):
    _coupon(manager, **coupon)
    body = _body(orderTotal=_eur(order_total), discount=_eur(discount))

    validated = _validate(manager, "TENOFF", body)
    redeemed = _redeem(manager, "TENOFF", body)

    if accepted:
        assert validated.status_code == 200, validated.json()
        assert redeemed.status_code == 201, redeemed.json()
        assert validated.json()["discount"] == redeemed.json()["discount"] == _eur(discount)
        assert float(Redemption.objects.get().discount_amount) == discount
    else:
        _refused(validated, "DISCOUNT_TOO_HIGH")
        _refused(redeemed, "DISCOUNT_TOO_HIGH")
        assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    ("coupon", "order_total", "discount"),
    [
        (TEN_PERCENT, 369.07, 36.91),
        ({}, 50, 10),
        ({}, 8, 8),
        ({"discountType": "FREE_SHIPPING", "discountAbsolute": None}, 50, 0),
    ],
    ids=["percent-half-up", "absolute", "absolute-capped", "free-shipping"],
)
def test_an_absent_discount_is_computed_on_the_order_total(
    manager, shop, coupon, order_total, discount
):
    _coupon(manager, **coupon)
    body = _body(orderTotal=_eur(order_total), discount=None)

    validated = _validate(manager, "TENOFF", body)
    redeemed = _redeem(manager, "TENOFF", body)

    assert validated.status_code == 200, validated.json()
    assert redeemed.status_code == 201, redeemed.json()
    assert validated.json()["discount"] == redeemed.json()["discount"] == _eur(discount)
    stored = manager.get(f"{COUPONS}/TENOFF/redemptions/{redeemed.json()['id']}").json()
    assert stored["discount"] == _eur(discount)


def test_the_service_checks_the_discount_whatever_the_entry_point(manager, shop):
    _coupon(manager, **TEN_PERCENT)
    request = RedemptionRequest(
        order_total=Money(Decimal("10.00"), "EUR"), discount=Money(Decimal("5000.00"), "EUR")
    )

    with pytest.raises(CouponRefused) as refused:
        coupon_redeem(tenant=TENANT, code="TENOFF", request=request, redeemer=Redeemer("c1"))

    assert refused.value.reasons == [Refusal.DISCOUNT_TOO_HIGH]
    assert refused.value.status_code == 400
    assert not Redemption.objects.exists()


def test_validation_with_items_refuses_the_discount_the_redemption_refuses(manager, shop):
    _coupon(manager, **GOLD_15)
    cart = _lines(("p-power", 2, 50), ("p-rake", 1, 100))
    body = _body(items=cart, discount=_eur(30))

    _refused(_validate(manager, "GOLD15", body), "DISCOUNT_MISMATCH")
    _refused(_redeem(manager, "GOLD15", body), "DISCOUNT_MISMATCH")
    rounded = _body(items=cart, discount=_eur(15.01))
    assert _validate(manager, "GOLD15", rounded).json()["discount"] == _eur(15.01)


# --- redemptions: list, get, delete ---------------------------------------------------------


@pytest.fixture
def redeemed(manager, shop):
    _coupon(manager, maxRedemptions=3)
    ids = [
        _redeem(manager, "TENOFF", _body(customer, orderCode=f"O-{index}")).json()["id"]
        for index, customer in enumerate(["c1", "c2", "c1"])
    ]
    return ids


def test_the_redemption_list_pages_and_filters(manager, redeemed):
    base = f"{COUPONS}/TENOFF/redemptions"

    everything = manager.get(base, headers={"X-Total-Count": "true"})
    first_page = manager.get(f"{base}?pageSize=2")
    of_c1 = manager.get(f"{base}?q=customerNumber:c1")

    assert [entry["id"] for entry in everything.json()] == redeemed
    assert everything["X-Total-Count"] == "3"
    assert [entry["id"] for entry in first_page.json()] == redeemed[:2]
    assert [entry["orderCode"] for entry in of_c1.json()] == ["O-0", "O-2"]
    assert manager.get(f"{COUPONS}/NOPE/redemptions").status_code == 404


def test_a_customer_reads_only_its_own_redemptions(manager, issue_token, redeemed):
    own = Caller(issue_token(customer_id="c1"))
    base = f"{COUPONS}/TENOFF/redemptions"

    assert own.get(f"{base}/{redeemed[0]}").json()["customerNumber"] == "c1"
    assert own.get(f"{base}/{redeemed[1]}").status_code == 404
    assert own.get(f"{base}/{redeemed[1]}?customerNumber=c2").status_code == 403
    assert own.get(base).status_code == 403


def test_on_behalf_reads_the_named_customers_redemptions(manager, issue_token, redeemed):
    on_behalf = Caller(issue_token(granted=frozenset({scopes.COUPON_REDEEM_ON_BEHALF})))
    base = f"{COUPONS}/TENOFF/redemptions"

    assert on_behalf.get(f"{base}/{redeemed[1]}?customerNumber=c2").status_code == 200
    assert on_behalf.get(f"{base}/{redeemed[1]}?customerNumber=c1").status_code == 404
    assert on_behalf.get(f"{base}/{redeemed[1]}").status_code == 404
    assert manager.get(f"{base}/{redeemed[1]}?customerNumber=c1").status_code == 404
    assert manager.get(f"{base}/{redeemed[1]}").status_code == 200


def test_deleting_a_redemption_frees_the_limit(manager, redeemed):
    base = f"{COUPONS}/TENOFF/redemptions"
    assert manager.get(f"{COUPONS}/TENOFF").json()["status"] == "USED"
    _refused(_redeem(manager, "TENOFF", _body("c2")), "REDEMPTION_LIMIT_REACHED", status=409)

    assert manager.delete(f"{base}/{redeemed[1]}").status_code == 204

    assert manager.get(f"{base}/{redeemed[1]}").status_code == 404
    assert manager.delete(f"{base}/{redeemed[1]}").status_code == 404
    assert manager.get(f"{COUPONS}/TENOFF").json()["status"] == "VALID"
    assert _redeem(manager, "TENOFF", _body("c2")).status_code == 201
    assert manager.get(f"{COUPONS}/TENOFF").json()["redemptionCount"] == 3


def test_a_redemption_is_found_only_under_its_own_coupon(manager, redeemed):
    _coupon(manager, code="OTHER")

    assert manager.get(f"{COUPONS}/OTHER/redemptions/{redeemed[0]}").status_code == 404
    assert manager.delete(f"{COUPONS}/OTHER/redemptions/{redeemed[0]}").status_code == 404
    assert Redemption.objects.count() == 3


def test_a_customer_token_cannot_delete_redemptions(issue_token, redeemed):
    own = Caller(issue_token(customer_id="c1"))

    assert own.delete(f"{COUPONS}/TENOFF/redemptions/{redeemed[0]}").status_code == 403
    assert Redemption.objects.count() == 3
