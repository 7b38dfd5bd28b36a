"""Redemption limits hold under concurrent redemptions (PostgreSQL, real connections).

The gap between counting a coupon's redemptions and inserting the new one is widened on
purpose: without the coupon's row lock, every redeemer would count the same rows and
all of them would insert.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from coupons.documents.currencies import Money
from coupons.documents.redemptions import RedemptionRequest
from coupons.models import Redemption
from coupons.services import CouponRefused, Redeemer, Refusal, coupon_create, coupon_redeem
from segments_project.checkpoints import Checkpoint
from segments_project.tenancy.services import tenant_get_or_create

from ..concurrency import run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

REDEEMERS = 10
ORDER = RedemptionRequest(
    order_total=Money(Decimal("50.00"), "EUR"), discount=Money(Decimal("10.00"), "EUR")
)


def _run_concurrently(work) -> list[object]:
    return run_concurrently(work, REDEEMERS)


@pytest.fixture
def slow_count(pause_at):
    """Pauses between counting the redemptions and inserting one."""
    pause_at(Checkpoint.COUPON_LIMITS_COUNTED, 0.05)


def _coupon(**limits) -> None:
    tenant_get_or_create(name="acme")
    coupon_create(
        tenant="acme",
        document={
            "code": "RUSH",
            "name": "Rush",
            "discountAbsolute": {"amount": 10, "currency": "EUR"},
            **limits,
        },
    )


def _split(outcomes: list[object]) -> tuple[list[object], list[CouponRefused]]:
    redeemed = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, CouponRefused)]
    assert len(redeemed) + len(refused) == REDEEMERS, outcomes
    return redeemed, refused


def test_concurrent_redemptions_stop_exactly_at_max_redemptions(slow_count):
    _coupon(maxRedemptions=3)

    outcomes = _run_concurrently(
        lambda index: coupon_redeem(
            tenant="acme", code="RUSH", request=ORDER, redeemer=Redeemer(f"c{index}")
        )
    )

    redeemed, refused = _split(outcomes)
    assert len(redeemed) == 3
    assert all(error.reasons == [Refusal.REDEMPTION_LIMIT_REACHED] for error in refused)
    assert all(error.status_code == 409 for error in refused)
    assert Redemption.objects.count() == 3


def test_concurrent_redemptions_of_one_customer_stop_at_its_limit(slow_count):
    _coupon(maxRedemptionsPerCustomer=2)

    outcomes = _run_concurrently(
        lambda index: coupon_redeem(
            tenant="acme", code="RUSH", request=ORDER, redeemer=Redeemer("c1")
        )
    )

    redeemed, refused = _split(outcomes)
    assert len(redeemed) == 2
    assert all(error.reasons == [Refusal.CUSTOMER_REDEMPTION_LIMIT_REACHED] for error in refused)
    assert Redemption.objects.filter(customer_number="c1").count() == 2
