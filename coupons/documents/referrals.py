"""Referral coupons as documents: the coupon document a tenant's referral settings make for
one customer, and the checks of those settings (the name template, the code prefix, and
everything a coupon document must satisfy, by `coupon_values` itself)."""

from __future__ import annotations

import string
from datetime import datetime, timedelta
from typing import Any

from segments_project.api.documents import format_datetime, invalid

from ..models import Coupon, DiscountType, ReferralSettings
from .coupon_writes import MAX_NAME_LENGTH, coupon_values
from .coupons import CODE_PATTERN, GENERATED_CODE_LENGTH, coupon_document

# What a name template may say about the customer.
NAME_PLACEHOLDERS = ("customerNumber", "customerName", "firstName", "lastName")
MAX_PREFIX_LENGTH = 32
MAX_VALIDITY_DAYS = 36_500
# A sample customer to check the settings with before any real one asks.
SAMPLE_CUSTOMER = ("C0000000001", "Ada", "Lovelace")

# Settings field -> the form field that shows its problems (the coupon document's members
# map onto the settings they come from).
SETTINGS_ERROR_FIELDS = {
    "name": "name_template",
    "nameTemplate": "name_template",
    "codePrefix": "code_prefix",
    "description": "description",
    "discountAbsolute": "discount_amount",
    "discountAbsolute.amount": "discount_amount",
    "discountAbsolute.currency": "discount_currency",
    "allowAnonymous": "allow_anonymous",
    "maxRedemptions": "max_redemptions",
    "maxRedemptionsPerCustomer": "max_redemptions_per_customer",
    "validityDays": "validity_days",
    "restrictions": "validity_days",
}


def _check_name_template(template: str) -> None:
    """Plain `{placeholder}`s of NAME_PLACEHOLDERS only: no attribute or index access, no
    conversion or format spec (a `{customerName:>999999}` would build a huge name)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise invalid("nameTemplate", f"nameTemplate is not a valid template: {exc}.") from exc
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in NAME_PLACEHOLDERS or spec or conversion:
            raise invalid(
                "nameTemplate",
                f"nameTemplate may use only {', '.join('{' + p + '}' for p in NAME_PLACEHOLDERS)}"
                f"; {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} is not one of them.",
            )
    if not template.strip():
        raise invalid("nameTemplate", "nameTemplate is required.", type="required")


def _check_code_prefix(prefix: str) -> None:
    # The prefix and a generated part together must be a valid code.
    if len(prefix) > MAX_PREFIX_LENGTH or (
        prefix and not CODE_PATTERN.match(prefix + "X" * GENERATED_CODE_LENGTH)
    ):
        raise invalid(
            "codePrefix",
            f"codePrefix must be at most {MAX_PREFIX_LENGTH} printable characters without "
            "whitespace, '/' or '\\'.",
        )


def referral_name(settings: ReferralSettings, customer: tuple[str, str, str]) -> str:
    """The coupon name for the customer (number, first name, last name), at most as long
    as a coupon name may be."""
    number, first, last = customer
    name = f"{first} {last}".strip() or number
    values = {"customerNumber": number, "customerName": name, "firstName": first, "lastName": last}
    return settings.name_template.format_map(values)[:MAX_NAME_LENGTH]


def referral_coupon_document(
    settings: ReferralSettings, customer: tuple[str, str, str], *, at: datetime
) -> dict[str, Any]:
    """The coupon document the settings make for the customer (number, first name, last
    name) at `at`: an ABSOLUTE coupon issued to the customer."""
    document: dict[str, Any] = {
        "name": referral_name(settings, customer),
        "description": settings.description,
        "discountType": DiscountType.ABSOLUTE,
        "discountAbsolute": {
            "amount": float(settings.discount_amount),
            "currency": settings.discount_currency,
        },
        "allowAnonymous": settings.allow_anonymous,
        "maxRedemptions": settings.max_redemptions,
        "maxRedemptionsPerCustomer": settings.max_redemptions_per_customer,
        "issuedTo": customer[0],
    }
    if settings.validity_days is not None:
        until = at + timedelta(days=settings.validity_days)
        document["restrictions"] = {"validUntil": format_datetime(until)}
    return document


def check_referral_settings(settings: ReferralSettings, *, at: datetime) -> None:
    """A 400 naming the first problem of the settings (fields named as in
    SETTINGS_ERROR_FIELDS): the template, the prefix, then the coupon they would make for
    a sample customer, checked as any coupon document is."""
    _check_name_template(settings.name_template)
    _check_code_prefix(settings.code_prefix)
    if settings.validity_days is not None and not 1 <= settings.validity_days <= MAX_VALIDITY_DAYS:
        raise invalid("validityDays", f"validityDays must be from 1 to {MAX_VALIDITY_DAYS}.")
    if settings.discount_amount is None or settings.discount_amount <= 0:
        raise invalid("discountAbsolute.amount", "The discount must be more than 0.")
    document = referral_coupon_document(settings, SAMPLE_CUSTOMER, at=at)
    coupon_values(document, tenant=settings.tenant_id)


def referral_document(
    coupon: Coupon, *, seller: bool, legal_entity_counts: dict[str, int] | None = None
) -> dict[str, Any]:
    """The referral coupon as its endpoints answer it (needs the `with_status` annotations).

    The seller sees the whole coupon. Its own customer sees the customer's view of a coupon
    plus `issuedTo` (itself; the vendor's referralCoupon schema requires it), never who
    redeemed it (`legalEntityRedemptions`)."""
    if seller:
        return coupon_document(coupon, legal_entity_counts=legal_entity_counts)
    return {**coupon_document(coupon, seller=False), "issuedTo": coupon.issued_to}
