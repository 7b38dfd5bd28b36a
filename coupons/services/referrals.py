"""Referral coupons: one per customer, made from the tenant's referral settings, and the
writes of those settings (the admin comes through here).

A referral coupon is an ordinary coupon row with `referral_coupon` set and `issued_to`
naming its customer, so every rule of validation and redemption applies to it; the one
rule of its own, that its customer cannot redeem it, is a check of `_verdict`
(`redemptions._referral_problems`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.db import transaction
from django.utils import timezone

from segments.selectors.directory import customer_get
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import AlreadyExists, ApplicationError, NotFound
from segments_project.tenancy.models import Tenant

from ..documents.coupon_writes import coupon_values
from ..documents.coupons import generate_code
from ..documents.referrals import check_referral_settings, referral_coupon_document
from ..models import Coupon, ReferralSettings
from ..selectors.referrals import referral_coupon_of
from .coupons import GENERATION_ATTEMPTS, insert_coupon

# The settings an admin form may write.
SETTINGS_FIELDS = (
    "discount_amount",
    "discount_currency",
    "code_prefix",
    "name_template",
    "description",
    "allow_anonymous",
    "max_redemptions",
    "max_redemptions_per_customer",
    "validity_days",
)


class ReferralNotConfigured(ApplicationError):
    """The tenant has no referral settings: no discount has been decided, so no coupon is
    issued (a conflict with the tenant's state, not a fault of the request)."""

    status_code = HTTPStatus.CONFLICT


@transaction.atomic
def referral_coupon_issue(*, tenant: str, customer_number: str) -> tuple[Coupon, bool]:
    """The customer's live referral coupon, made now if there is none: (coupon, created).

    NotFound when the customer is not in the tenant's customer directory (its name goes into
    the coupon's); ReferralNotConfigured (409) without referral settings. Concurrent calls
    for one customer make one coupon: the second insert meets the unique constraint
    `coupon_one_referral_per_customer`, and that call answers the coupon the first made.
    """
    existing = referral_coupon_of(tenant=tenant, customer_number=customer_number)
    if existing is not None:
        return existing, False
    reached(Checkpoint.REFERRAL_COUPON_MISSING, customer_number=customer_number)
    customer = customer_get(tenant=tenant, customer_id=customer_number)
    settings = ReferralSettings.objects.filter(tenant_id=tenant).first()
    if settings is None:
        raise ReferralNotConfigured(
            f"The tenant {tenant} has no referral settings: referral coupons are not issued.",
            resource_id=customer_number,
        )
    subject = (customer.public_id, customer.first_name, customer.last_name)
    document = referral_coupon_document(settings, subject, at=timezone.now())
    values = {**coupon_values(document, tenant=tenant), "referral_coupon": True}
    for attempt in range(GENERATION_ATTEMPTS):
        try:
            insert_coupon(tenant, settings.code_prefix + generate_code(), values)
        except AlreadyExists:
            # Either another call made this customer's coupon first (committed, so this
            # statement sees it) or the random code was taken: then try another one.
            existing = referral_coupon_of(tenant=tenant, customer_number=customer_number)
            if existing is not None:
                return existing, False
            if attempt == GENERATION_ATTEMPTS - 1:
                raise
        else:
            # Read back with the status annotations every coupon read has.
            created = referral_coupon_of(tenant=tenant, customer_number=customer_number)
            assert created is not None
            return created, True
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def referral_settings_save(*, tenant: str, values: dict[str, Any]) -> ReferralSettings:
    """Creates or replaces the tenant's referral settings, or a 400 naming the first problem
    (see `documents.referrals.check_referral_settings`). Coupons issued before keep their
    terms; only new ones follow the change."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not referral settings: {', '.join(sorted(unknown))}")
    # The tenant's row lock serializes the writers of its settings, also the first two (NO
    # KEY: the tenant's other writes, which only reference the row, go on).
    if Tenant.objects.select_for_update(no_key=True).filter(name=tenant).first() is None:
        raise NotFound(f"The tenant {tenant} does not exist.", resource_id=tenant)
    now = timezone.now()
    settings = ReferralSettings.objects.filter(tenant_id=tenant).first() or ReferralSettings(
        tenant_id=tenant, created_at=now
    )
    for field, value in values.items():
        setattr(settings, field, value)
    check_referral_settings(settings, at=now)
    settings.modified_at = now
    settings.save()
    return settings


def referral_settings_delete(*, tenant: str) -> None:
    """Stops the tenant's referral coupons: no new ones are issued (409); those issued
    stay as they are."""
    ReferralSettings.objects.filter(tenant_id=tenant).delete()
