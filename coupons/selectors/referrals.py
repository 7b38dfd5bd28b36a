"""Reads of referral coupons, scoped to one tenant."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from segments.selectors.directory import customer_get

from ..models import Coupon
from .coupons import coupons_of_tenant


def referral_coupon_of(
    *, tenant: str, customer_number: str, at: datetime | None = None
) -> Coupon | None:
    """The customer's live referral coupon with its status annotations (at `at`, default
    now), or None; soft-deleted ones are no longer the customer's."""
    return (
        coupons_of_tenant(tenant=tenant, at=at or timezone.now())
        .filter(referral_coupon=True, issued_to=customer_number)
        .first()
    )


def referral_coupon_get(*, tenant: str, customer_number: str) -> Coupon | None:
    """The customer's live referral coupon, or None when a customer of the tenant's
    directory has none; NotFound when there is neither a coupon nor such a customer (a
    coupon outlives its customer's deletion, and is still answered)."""
    coupon = referral_coupon_of(tenant=tenant, customer_number=customer_number)
    if coupon is None:
        customer_get(tenant=tenant, customer_id=customer_number)
    return coupon
