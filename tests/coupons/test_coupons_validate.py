"""`coupons_validate`: many coupons validated at once give each the answer `coupon_validate`
gives it alone, in a fixed number of queries whatever the number of coupons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coupons.documents.currencies import Money
from coupons.documents.redemptions import RedemptionRequest
from coupons.models import Coupon
from coupons.services import (
    Redeemer,
    coupon_create,
    coupon_redeem,
    coupon_validate,
    coupons_validate,
)
from segments_project.errors import ApplicationError
from segments_project.tenancy.models import Tenant

from ..segments.factories import assign_customer, make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

TENANT = "acme"
SITE = "main"


def _create(code: str, **document: Any) -> Coupon:
    body = {"code": code, "name": code, "discountType": "PERCENT", "discountPercentage": 5}
    coupon_create(tenant=TENANT, document={**body, **document})
    return Coupon.objects.get(tenant_id=TENANT, public_id=code)


def _request(coupon: Coupon) -> RedemptionRequest:
    return RedemptionRequest(order_total=Money(Decimal("50.00"), "EUR"), site_code=SITE)


def _answer(outcome: Any) -> tuple[str, Any]:
    if isinstance(outcome, ApplicationError):
        details = getattr(outcome, "details", None)
        return ("refused", [d.message for d in details] if details else outcome.message)
    return ("valid", outcome.discount)


@pytest.fixture
def coupons() -> list[Coupon]:
    """Alice is in gold (site main), not in silver; one coupon of each refusal reason."""
    now = timezone.now()
    alice = make_customer(TENANT, "alice")
    make_customer(TENANT, "bob")
    gold, silver = make_segment(TENANT, "gold"), make_segment(TENANT, "silver")
    assign_customer(gold, alice)
    del silver
    made = [
        _create("ALL5"),
        _create("GOLD", segmentRestricted=True, restrictions={"segments": ["gold"]}),
        _create("SILVER", segmentRestricted=True, restrictions={"segments": ["silver"]}),
        _create("ONCE", maxRedemptions=1),
        _create("ONCE-EACH", maxRedemptionsPerCustomer=1),
        _create("LATER", restrictions={"validFrom": (now + timedelta(days=2)).isoformat()}),
        _create("BOBS", restrictions={"validFor": ["bob"]}),
        _create("MIN100", restrictions={"minOrderValue": {"amount": 100, "currency": "EUR"}}),
    ]
    for code, customer in (("ONCE", "bob"), ("ONCE-EACH", "alice")):
        coupon_redeem(
            tenant=TENANT,
            code=code,
            request=_request(made[0]),
            redeemer=Redeemer(customer_id=customer),
        )
    return made


@pytest.mark.parametrize(
    "redeemer",
    [
        Redeemer(customer_id="alice"),
        Redeemer(customer_id="bob"),
        Redeemer(),
        Redeemer(customer_id="alice", legal_entity_id="nowhere"),
    ],
    ids=["member", "not a member", "anonymous", "unknown legal entity"],
)
def test_each_answer_is_the_one_coupon_validate_gives(coupons, redeemer):
    at = timezone.now()
    one_by_one = []
    for coupon in coupons:
        try:
            outcome: Any = coupon_validate(
                tenant=TENANT, code=coupon.public_id, request=_request(coupon),
                redeemer=redeemer, at=at,
            )  # fmt: skip
        except ApplicationError as exc:
            outcome = exc
        one_by_one.append((coupon.public_id, _answer(outcome)))

    together = coupons_validate(
        tenant=TENANT, coupons=coupons, request_of=_request, redeemer=redeemer,
        site_code=SITE, at=at,
    )  # fmt: skip

    assert [(coupon.public_id, _answer(outcome)) for coupon, outcome in together] == one_by_one
    if redeemer == Redeemer(customer_id="alice"):
        valid = [code for code, (state, _) in one_by_one if state == "valid"]
        assert valid == ["ALL5", "GOLD"]  # MIN100: 50 EUR is below its minimum


def test_the_queries_do_not_grow_with_the_coupons(coupons):
    make_legal_entity(TENANT, "company")
    redeemer = Redeemer(customer_id="alice", legal_entity_id="company")

    def queries(batch: list[Coupon]) -> int:
        with CaptureQueriesContext(connection) as captured:
            coupons_validate(
                tenant=TENANT, coupons=batch, request_of=_request, redeemer=redeemer,
                site_code=SITE,
            )  # fmt: skip
        return len(captured)

    few = queries(coupons[:2])
    more = [_create(f"MORE{number:02d}", maxRedemptions=5) for number in range(20)]
    assert queries([*coupons, *more]) == few <= 4


def test_another_tenants_coupons_are_left_out(coupons):
    Tenant.objects.get_or_create(name="globex")
    coupon_create(
        tenant="globex",
        document={"code": "ALIEN", "name": "x", "discountType": "PERCENT", "discountPercentage": 5},
    )
    alien = Coupon.objects.get(tenant_id="globex", public_id="ALIEN")

    answers = coupons_validate(
        tenant=TENANT, coupons=[coupons[0], alien], request_of=_request,
        redeemer=Redeemer(customer_id="alice"), site_code=SITE,
    )  # fmt: skip

    assert [coupon.public_id for coupon, _ in answers] == ["ALL5"]
