"""Validation of incoming coupon documents: each member cleaned, the restrictions checked
against the flags, and the referenced categories and segments looked up in the tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalog.models import Category
from segments.models import Segment
from segments_project.api.documents import (
    clean_datetime,
    clean_id,
    clean_mixins,
    clean_object,
    invalid,
)

from ..models import UNLIMITED, DiscountCalculationType, DiscountType
from .coupons import READ_ONLY_FIELDS
from .currencies import clean_amount, clean_money

MAX_NAME_LENGTH = 255
MAX_LIST_LENGTH = 1000
MAX_LIMIT = 1_000_000_000

# Members a coupon write may carry.
WRITE_FIELDS = frozenset(
    {
        "code",
        "name",
        "description",
        "discountType",
        "discountPercentage",
        "discountAbsolute",
        "allowAnonymous",
        "maxRedemptions",
        "maxRedemptionsPerCustomer",
        "discountCalculationType",
        "categoryRestricted",
        "segmentRestricted",
        "restrictions",
        "issuedTo",
        "mixins",
        "metadata",
    }
)
RESTRICTION_FIELDS = frozenset(
    {
        "validFor",
        "validFrom",
        "validUntil",
        "minOrderValue",
        "includedCategories",
        "excludedCategories",
        "segments",
    }
)
METADATA_FIELDS = frozenset({"version", "mixins", "createdAt", "modifiedAt"})


def _flag(document: dict[str, Any], field: str) -> bool:
    value = document.get(field)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(field, f"{field} must be true or false.")
    return value


def _limit(document: dict[str, Any], field: str) -> int:
    value = document.get(field)
    if value is None:
        return UNLIMITED
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not UNLIMITED <= value <= MAX_LIMIT:
        raise invalid(
            field, f"{field} must be -1 (unlimited) or a whole number from 0 to {MAX_LIMIT}."
        )
    return value


def _text(document: dict[str, Any], field: str, max_length: int | None = None) -> str:
    value = document.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a string.")
    if max_length is not None and len(value) > max_length:
        raise invalid(field, f"{field} is longer than {max_length} characters.")
    return value


def _choice(document: dict[str, Any], field: str, choices: type, default: str) -> str:
    value = document.get(field)
    if value is None:
        return default
    if value not in choices.values:
        raise invalid(field, f"{field} must be one of {', '.join(choices.values)}.")
    return value


def _ids(restrictions: dict[str, Any], member: str) -> list[str]:
    """A list of ids without duplicates, in the given order."""
    field = f"restrictions.{member}"
    value = restrictions.get(member)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LIST_LENGTH:
        raise invalid(field, f"{field} must be a list of at most {MAX_LIST_LENGTH} ids.")
    return list(dict.fromkeys(clean_id(item, f"{field}[{i}]") for i, item in enumerate(value)))


def _unknown_members(document: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    unknown = sorted(set(document) - allowed)
    if unknown:
        field = f"{prefix}{unknown[0]}"
        raise invalid(field, f"Unknown coupon field: {field}.", type="unknown_field")


def _discount(document: dict[str, Any], discount_type: str) -> dict[str, Any]:
    percentage = document.get("discountPercentage")
    absolute = document.get("discountAbsolute")
    values: dict[str, Any] = {
        "discount_percentage": None,
        "discount_amount": None,
        "discount_currency": "",
    }
    if discount_type == DiscountType.PERCENT:
        if percentage is None:
            raise invalid(
                "discountPercentage", "A PERCENT coupon needs discountPercentage.", type="required"
            )
        in_range = isinstance(percentage, int | float) and 0 <= percentage <= 100
        if isinstance(percentage, bool) or not in_range:
            raise invalid("discountPercentage", "discountPercentage must be between 0 and 100.")
        values["discount_percentage"] = clean_amount(percentage, "discountPercentage")
    elif percentage is not None:
        raise invalid("discountPercentage", "Only a PERCENT coupon has a discountPercentage.")
    if discount_type == DiscountType.ABSOLUTE:
        if absolute is None:
            raise invalid(
                "discountAbsolute", "An ABSOLUTE coupon needs discountAbsolute.", type="required"
            )
        money = clean_money(absolute, "discountAbsolute")
        values["discount_amount"], values["discount_currency"] = money.amount, money.currency
    elif absolute is not None:
        raise invalid("discountAbsolute", "Only an ABSOLUTE coupon has a discountAbsolute.")
    return values


def _validity(restrictions: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    valid_from = clean_datetime(restrictions.get("validFrom"), "restrictions.validFrom")
    valid_until = clean_datetime(restrictions.get("validUntil"), "restrictions.validUntil")
    if valid_from and valid_until and valid_from > valid_until:
        raise invalid("restrictions", "restrictions.validFrom must not be after validUntil.")
    return valid_from, valid_until


def _check_customer_rule(flags: dict[str, bool], valid_for: list[str]) -> None:
    """Anonymous users cannot be among named customers."""
    if flags["allow_anonymous"] and valid_for:
        raise invalid(
            "restrictions.validFor", "A coupon anonymous users may redeem has no validFor."
        )


def _check_category_rule(flags: dict[str, bool], included: list[str], excluded: list[str]) -> None:
    """A category-restricted coupon names categories (disjoint lists); no other one does."""
    if flags["category_restricted"]:
        if not included and not excluded:
            raise invalid(
                "restrictions.includedCategories",
                "A category-restricted coupon needs includedCategories or excludedCategories.",
                type="required",
            )
        both = [category for category in included if category in excluded]
        if both:
            raise invalid(
                "restrictions.excludedCategories",
                f"includedCategories and excludedCategories must be disjoint: {both[0]}.",
            )
    elif included or excluded:
        field = "includedCategories" if included else "excludedCategories"
        raise invalid(f"restrictions.{field}", f"{field} needs categoryRestricted set to true.")


def _check_segment_rule(flags: dict[str, bool], segments: list[str], valid_for: list[str]) -> None:
    """A segment-restricted coupon names segments and no customers; no other one names
    segments."""
    if flags["segment_restricted"]:
        if not segments:
            raise invalid(
                "restrictions.segments",
                "A segment-restricted coupon needs restrictions.segments.",
                type="required",
            )
        if valid_for:
            raise invalid(
                "restrictions.validFor",
                "A segment-restricted coupon cannot be restricted to customers (validFor).",
            )
    elif segments:
        raise invalid("restrictions.segments", "segments needs segmentRestricted set to true.")


def _restrictions(document: dict[str, Any], flags: dict[str, bool]) -> dict[str, Any]:
    """The `restrictions` member's values: each member cleaned, then the rules that tie them
    to the flags checked in a fixed order (customers, categories, segments)."""
    restrictions = clean_object(document.get("restrictions"), "restrictions")
    _unknown_members(restrictions, RESTRICTION_FIELDS, "restrictions.")
    valid_from, valid_until = _validity(restrictions)
    minimum = restrictions.get("minOrderValue")
    min_order = clean_money(minimum, "restrictions.minOrderValue") if minimum else None
    valid_for = _ids(restrictions, "validFor")
    included = _ids(restrictions, "includedCategories")
    excluded = _ids(restrictions, "excludedCategories")
    segments = _ids(restrictions, "segments")
    _check_customer_rule(flags, valid_for)
    _check_category_rule(flags, included, excluded)
    _check_segment_rule(flags, segments, valid_for)
    return {
        "valid_from": valid_from,
        "valid_until": valid_until,
        "min_order_amount": min_order.amount if min_order else None,
        "min_order_currency": min_order.currency if min_order else "",
        "valid_for": valid_for,
        "included_categories": included,
        "excluded_categories": excluded,
        "segment_ids": segments,
    }


def _check_references(tenant: str, values: dict[str, Any]) -> None:
    """Restricting categories and segments must exist in the tenant when written."""
    category_ids = [*values["included_categories"], *values["excluded_categories"]]
    if category_ids:
        known = set(
            Category.objects.for_tenant(tenant)
            .filter(public_id__in=category_ids)
            .values_list("public_id", flat=True)
        )
        for member in ("included_categories", "excluded_categories"):
            missing = [category for category in values[member] if category not in known]
            if missing:
                field = "includedCategories" if member.startswith("in") else "excludedCategories"
                raise invalid(
                    f"restrictions.{field}",
                    f"The category with id {missing[0]} has not been found.",
                    type="not_found",
                )
    if values["segment_ids"]:
        known = set(
            Segment.objects.for_tenant(tenant)
            .filter(public_id__in=values["segment_ids"])
            .values_list("public_id", flat=True)
        )
        missing = [segment for segment in values["segment_ids"] if segment not in known]
        if missing:
            raise invalid(
                "restrictions.segments",
                f"The segment with id {missing[0]} has not been found.",
                type="not_found",
            )


def coupon_values(document: Any, *, tenant: str) -> dict[str, Any]:
    """The model field values a coupon document asks for, or a 400 naming the first problem.

    Absent members take the vendor's defaults. Unknown members are refused (a misspelt
    limit must not silently mean "unlimited"); read-only members are ignored; `code` is
    the caller's business (create or compare). Restricting categories and segments must
    exist in the tenant.
    """
    if not isinstance(document, dict):
        raise invalid("body", "A coupon must be a JSON object.")
    _unknown_members(document, WRITE_FIELDS | READ_ONLY_FIELDS)
    metadata = clean_object(document.get("metadata"), "metadata")
    _unknown_members(metadata, METADATA_FIELDS, "metadata.")
    name = _text(document, "name", MAX_NAME_LENGTH)
    if not name.strip():
        raise invalid("name", "name is required.", type="required")
    discount_type = _choice(document, "discountType", DiscountType, DiscountType.ABSOLUTE)
    flags = {
        "allow_anonymous": _flag(document, "allowAnonymous"),
        "category_restricted": _flag(document, "categoryRestricted"),
        "segment_restricted": _flag(document, "segmentRestricted"),
    }
    per_customer = _limit(document, "maxRedemptionsPerCustomer")
    if flags["category_restricted"] and flags["segment_restricted"]:
        raise invalid(
            "segmentRestricted", "A coupon cannot be both segment- and category-restricted."
        )
    if flags["allow_anonymous"]:
        if per_customer != UNLIMITED:
            raise invalid(
                "maxRedemptionsPerCustomer",
                "A coupon anonymous users may redeem has no per-customer limit.",
            )
        if flags["segment_restricted"]:
            raise invalid(
                "allowAnonymous", "Only segment members may redeem a segment-restricted coupon."
            )
    mixins, metadata_mixins = clean_mixins(document)
    values = {
        "name": name,
        "description": _text(document, "description"),
        "discount_type": discount_type,
        **_discount(document, discount_type),
        "max_redemptions": _limit(document, "maxRedemptions"),
        "max_redemptions_per_customer": per_customer,
        "discount_calculation_type": _choice(
            document,
            "discountCalculationType",
            DiscountCalculationType,
            DiscountCalculationType.SUBTOTAL,
        ),
        **flags,
        **_restrictions(document, flags),
        "issued_to": _text(document, "issuedTo", 128),
        "mixins": mixins,
        "metadata_mixins": metadata_mixins,
    }
    _check_references(tenant, values)
    return values
