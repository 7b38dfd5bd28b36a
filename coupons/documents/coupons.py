"""Coupons as the API speaks them: the members, query fields, codes and rendering of rows.
The validation of incoming coupon documents is in `coupon_writes`."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from segments_project.api.documents import format_datetime, invalid
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec

from ..models import Coupon, CouponStatus, DiscountCalculationType, DiscountType
from .currencies import Money

MAX_CART_LINES = 1000
MAX_QUANTITY = 1_000_000
MAX_SITE_CODE_LENGTH = 64
# Printable, no whitespace, no '/' (an encoded slash would still split the path) or '\'.
CODE_PATTERN = re.compile(r"^[^\s/\\\x00-\x1f\x7f]{1,128}$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I lookalikes
GENERATED_CODE_LENGTH = 10

# Members the service computes; a write may send them back (GET, edit, PUT) and they are
# ignored.
READ_ONLY_FIELDS = frozenset(
    {"status", "redemptionCount", "legalEntityRedemptions", "deleted", "referralCoupon"}
)
# What a JSON Patch may not write: the code, the computed members and the timestamps.
COUPON_READ_ONLY_PATHS = frozenset(
    {"/code", "/metadata/createdAt", "/metadata/modifiedAt"}
    | {f"/{member}" for member in READ_ONLY_FIELDS}
)

COUPON_QUERY_FIELDS: dict[str, FieldSpec] = {
    "code": FieldSpec("public_id", FieldKind.STRING),
    "name": FieldSpec("name", FieldKind.STRING),
    "description": FieldSpec("description", FieldKind.STRING),
    "discountType": FieldSpec("discount_type", FieldKind.ENUM, choices=tuple(DiscountType.values)),
    "discountPercentage": FieldSpec("discount_percentage", FieldKind.NUMBER),
    "discountAbsolute.amount": FieldSpec("discount_amount", FieldKind.NUMBER),
    "discountAbsolute.currency": FieldSpec("discount_currency", FieldKind.STRING),
    "allowAnonymous": FieldSpec("allow_anonymous", FieldKind.BOOLEAN),
    "maxRedemptions": FieldSpec("max_redemptions", FieldKind.INTEGER),
    "maxRedemptionsPerCustomer": FieldSpec("max_redemptions_per_customer", FieldKind.INTEGER),
    "discountCalculationType": FieldSpec(
        "discount_calculation_type",
        FieldKind.ENUM,
        choices=tuple(DiscountCalculationType.values),
    ),
    "categoryRestricted": FieldSpec("category_restricted", FieldKind.BOOLEAN),
    "segmentRestricted": FieldSpec("segment_restricted", FieldKind.BOOLEAN),
    "restrictions.validFrom": FieldSpec("valid_from", FieldKind.DATETIME),
    "restrictions.validUntil": FieldSpec("valid_until", FieldKind.DATETIME),
    "restrictions.minOrderValue.amount": FieldSpec("min_order_amount", FieldKind.NUMBER),
    "restrictions.minOrderValue.currency": FieldSpec("min_order_currency", FieldKind.STRING),
    "issuedTo": FieldSpec("issued_to", FieldKind.STRING),
    "referralCoupon": FieldSpec("referral_coupon", FieldKind.BOOLEAN),
    "status": FieldSpec("status", FieldKind.ENUM, choices=tuple(CouponStatus.values)),
    "redemptionCount": FieldSpec("redemption_count", FieldKind.INTEGER),
    "deleted": FieldSpec("deleted", FieldKind.BOOLEAN),
    **METADATA_QUERY_FIELDS,
}


# Stored field -> the document member a consumer knows it by (the `q` names where there
# is one): how `coupon.updated` events name the changed fields (`changedFields`).
COUPON_EVENT_FIELDS: dict[str, str] = {
    "name": "name",
    "description": "description",
    "discount_type": "discountType",
    "discount_percentage": "discountPercentage",
    "discount_amount": "discountAbsolute.amount",
    "discount_currency": "discountAbsolute.currency",
    "allow_anonymous": "allowAnonymous",
    "max_redemptions": "maxRedemptions",
    "max_redemptions_per_customer": "maxRedemptionsPerCustomer",
    "discount_calculation_type": "discountCalculationType",
    "category_restricted": "categoryRestricted",
    "segment_restricted": "segmentRestricted",
    "included_categories": "restrictions.includedCategories",
    "excluded_categories": "restrictions.excludedCategories",
    "segment_ids": "restrictions.segments",
    "valid_for": "restrictions.validFor",
    "valid_from": "restrictions.validFrom",
    "valid_until": "restrictions.validUntil",
    "min_order_amount": "restrictions.minOrderValue.amount",
    "min_order_currency": "restrictions.minOrderValue.currency",
    "issued_to": "issuedTo",
    "referral_coupon": "referralCoupon",
    "deleted": "deleted",
    "mixins": "mixins",
    "metadata_mixins": "metadata.mixins",
}


# --- codes -----------------------------------------------------------------------------------


def clean_code(value: Any, field: str = "code") -> str:
    """The code in upper case (the vendor's default), or a 400 if it cannot be one."""
    code = value.upper() if isinstance(value, str) else None
    if code is None or not CODE_PATTERN.match(code):
        raise invalid(
            field, f"{field} must be 1 to 128 printable characters without whitespace, '/' or '\\'."
        )
    return code


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(GENERATED_CODE_LENGTH))


# --- coupon reads ----------------------------------------------------------------------------


def money_document(amount: Decimal | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else Money(amount, currency).as_dict()


def _discount_members(coupon: Coupon) -> dict[str, Any]:
    members: dict[str, Any] = {"discountType": coupon.discount_type}
    if coupon.discount_percentage is not None:
        members["discountPercentage"] = float(coupon.discount_percentage)
    if coupon.discount_amount is not None:
        members["discountAbsolute"] = money_document(
            coupon.discount_amount, coupon.discount_currency
        )
    return members


def _restriction_members(coupon: Coupon) -> dict[str, Any]:
    restrictions: dict[str, Any] = {"validFor": list(coupon.valid_for)}
    if coupon.valid_from is not None:
        restrictions["validFrom"] = format_datetime(coupon.valid_from)
    if coupon.valid_until is not None:
        restrictions["validUntil"] = format_datetime(coupon.valid_until)
    if coupon.min_order_amount is not None:
        restrictions["minOrderValue"] = money_document(
            coupon.min_order_amount, coupon.min_order_currency
        )
    if coupon.category_restricted:
        restrictions["includedCategories"] = list(coupon.included_categories)
        restrictions["excludedCategories"] = list(coupon.excluded_categories)
    if coupon.segment_restricted:
        restrictions["segments"] = list(coupon.segment_ids)
    return restrictions


def stored_document(coupon: Coupon) -> dict[str, Any]:
    """The writable members of the coupon: what PATCH and partial PUT apply changes to."""
    document: dict[str, Any] = {"code": coupon.public_id, "name": coupon.name}
    if coupon.description:
        document["description"] = coupon.description
    document.update(_discount_members(coupon))
    document.update(
        {
            "allowAnonymous": coupon.allow_anonymous,
            "maxRedemptions": coupon.max_redemptions,
            "maxRedemptionsPerCustomer": coupon.max_redemptions_per_customer,
            "discountCalculationType": coupon.discount_calculation_type,
            "categoryRestricted": coupon.category_restricted,
            "segmentRestricted": coupon.segment_restricted,
        }
    )
    document["restrictions"] = _restriction_members(coupon)
    if coupon.issued_to:
        document["issuedTo"] = coupon.issued_to
    if coupon.mixins:
        document["mixins"] = coupon.mixins
    document["metadata"] = {"version": coupon.version}
    if coupon.metadata_mixins:
        document["metadata"]["mixins"] = coupon.metadata_mixins
    return document


# Left out for callers that are not the seller (the vendor marks them "seller-only"), and
# validFor, which names other customers.
SELLER_ONLY = ("maxRedemptions", "redemptionCount", "legalEntityRedemptions", "issuedTo", "deleted")


def coupon_document(
    coupon: Coupon, *, legal_entity_counts: dict[str, int] | None = None, seller: bool = True
) -> dict[str, Any]:
    """The coupon as the API returns it; needs the `with_status` annotations."""
    document = stored_document(coupon)
    document["metadata"].update(
        {
            "createdAt": format_datetime(coupon.created_at),
            "modifiedAt": format_datetime(coupon.modified_at),
        }
    )
    document.update(
        {
            "status": coupon.status,
            "redemptionCount": coupon.redemption_count,
            "legalEntityRedemptions": [
                {"legalEntityId": legal_entity, "count": count}
                for legal_entity, count in sorted((legal_entity_counts or {}).items())
            ],
            "deleted": coupon.deleted,
            "referralCoupon": coupon.referral_coupon,
        }
    )
    if not seller:
        for member in SELLER_ONLY:
            document.pop(member, None)
        document["restrictions"].pop("validFor", None)
    return document
