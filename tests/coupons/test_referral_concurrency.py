"""Concurrent requests for one customer's referral coupon make one coupon, and concurrent
first saves of a tenant's referral settings one row (PostgreSQL, real connections).

Every request is held after finding that the customer has no coupon yet, so all of them go
on to insert one: the partial unique constraint lets the first in, and the others answer
the coupon it made.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from coupons.models import Coupon, ReferralSettings
from coupons.services import referral_coupon_issue, referral_settings_save
from segments_project.checkpoints import Checkpoint
from segments_project.tenancy.services import tenant_get_or_create

from ..concurrency import run_concurrently
from ..conftest import TENANT, Caller
from ..segments.factories import make_customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

REQUESTS = 4


@pytest.fixture
def referrals():
    make_customer(TENANT, "ada")
    referral_settings_save(
        tenant=TENANT, values={"discount_amount": Decimal(8), "discount_currency": "EUR"}
    )


@pytest.fixture
def slow_lookup(pause_at):
    """Holds every issuer between finding no coupon and inserting one."""
    pause_at(Checkpoint.REFERRAL_COUPON_MISSING, 0.2)


def test_concurrent_issues_for_one_customer_make_one_coupon(referrals, slow_lookup):
    outcomes = run_concurrently(
        lambda _: referral_coupon_issue(tenant=TENANT, customer_number="ada"), REQUESTS
    )

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert len({coupon.public_id for coupon, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False] * (REQUESTS - 1) + [True]
    assert Coupon.objects.filter(referral_coupon=True, issued_to="ada").count() == 1


def test_two_concurrent_posts_answer_the_same_coupon(referrals, slow_lookup, manager):
    url = f"/coupon/{TENANT}/referral-coupons/ada"
    callers = [Caller(manager.token) for _ in range(2)]  # a test client per thread

    # (The schema check builds the OpenAPI document, which is not thread-safe; the answer's
    # shape is checked in test_referral_coupons.)
    responses = run_concurrently(lambda index: callers[index].post(url, check_schema=False), 2)

    assert [response.status_code for response in responses] == [200, 200]
    codes = {response.json()["code"] for response in responses}
    assert len(codes) == 1
    assert Coupon.objects.filter(referral_coupon=True).count() == 1


def test_concurrent_first_saves_of_a_tenants_settings_leave_one_row(db):
    tenant_get_or_create(name=TENANT)

    outcomes = run_concurrently(
        lambda index: referral_settings_save(
            tenant=TENANT,
            values={"discount_amount": Decimal(index + 1), "discount_currency": "EUR"},
        ),
        REQUESTS,
    )

    assert all(isinstance(outcome, ReferralSettings) for outcome in outcomes), outcomes
    assert ReferralSettings.objects.count() == 1
