"""Redemptions as the API speaks them: validation and redemption bodies (with their cart
lines) checked, redemption rows rendered."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from segments_project.api.documents import clean_id, format_datetime, invalid
from segments_project.api.query import FieldKind, FieldSpec

from ..models import Redemption
from .coupons import MAX_CART_LINES, MAX_QUANTITY, MAX_SITE_CODE_LENGTH, money_document
from .currencies import MAX_AMOUNT, Money, clean_amount, clean_money

REDEMPTION_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "orderCode": FieldSpec("order_code", FieldKind.STRING),
    "customerNumber": FieldSpec("customer_number", FieldKind.STRING),
    "legalEntityId": FieldSpec("legal_entity_public_id", FieldKind.STRING),
    "siteCode": FieldSpec("site_code", FieldKind.STRING),
    "orderTotal.amount": FieldSpec("order_total_amount", FieldKind.NUMBER),
    "orderTotal.currency": FieldSpec("order_total_currency", FieldKind.STRING),
    "discount.amount": FieldSpec("discount_amount", FieldKind.NUMBER),
    "discount.currency": FieldSpec("discount_currency", FieldKind.STRING),
    "redeemedAt": FieldSpec("created_at", FieldKind.DATETIME),
}


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class RedemptionRequest:
    """A validation or redemption body, checked; who redeems is decided by the caller."""

    order_total: Money
    discount: Money | None = None
    order_code: str = ""
    customer_number: str | None = None
    legal_entity_id: str | None = None
    site_code: str | None = None
    items: tuple[CartLine, ...] | None = None


def _optional_id(body: dict[str, Any], member: str) -> str | None:
    value = body.get(member)
    return None if value is None else clean_id(value, member)


def _cart_lines(value: Any) -> tuple[CartLine, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_CART_LINES:
        raise invalid("items", f"items must be a list of at most {MAX_CART_LINES} cart lines.")
    lines = []
    for index, item in enumerate(value):
        field = f"items[{index}]"
        if not isinstance(item, dict):
            raise invalid(field, "A cart line is an object with productId, quantity, unitPrice.")
        quantity = item.get("quantity")
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= MAX_QUANTITY
        ):
            raise invalid(
                f"{field}.quantity", f"quantity must be a whole number from 1 to {MAX_QUANTITY}."
            )
        if item.get("unitPrice") is None:
            raise invalid(f"{field}.unitPrice", "unitPrice is required.", type="required")
        lines.append(
            CartLine(
                product_id=clean_id(item.get("productId"), f"{field}.productId"),
                quantity=quantity,
                unit_price=clean_amount(item["unitPrice"], f"{field}.unitPrice"),
            )
        )
    if sum((line.total for line in lines), Decimal(0)) > MAX_AMOUNT:
        raise invalid("items", f"The items add up to more than {MAX_AMOUNT}.")
    return tuple(lines)


def redemption_request(body: Any) -> RedemptionRequest:
    """The checked body of a validation or redemption, or a 400 naming the first problem.

    `orderTotal` is required (the minimum order value is checked against it); `discount`
    is optional (the coupon service computes an absent one and checks a given one).
    Amounts of one request share the orderTotal's currency.
    """
    if not isinstance(body, dict):
        raise invalid("body", "A redemption must be a JSON object.")
    if body.get("orderTotal") is None:
        raise invalid("orderTotal", "orderTotal is required.", type="required")
    order_total = clean_money(body["orderTotal"], "orderTotal")
    items = _cart_lines(body.get("items"))
    discount = None
    if body.get("discount") is not None:
        discount = clean_money(body["discount"], "discount")
        if discount.currency != order_total.currency:
            raise invalid("discount.currency", "discount and orderTotal differ in currency.")
    order_code = body.get("orderCode") or ""
    if not isinstance(order_code, str) or len(order_code) > 128:
        raise invalid("orderCode", "orderCode must be a string of at most 128 characters.")
    site_code = body.get("siteCode")
    if site_code is not None and len(clean_id(site_code, "siteCode")) > MAX_SITE_CODE_LENGTH:
        raise invalid("siteCode", f"siteCode is longer than {MAX_SITE_CODE_LENGTH} characters.")
    return RedemptionRequest(
        order_total=order_total,
        discount=discount,
        order_code=order_code,
        customer_number=_optional_id(body, "customerNumber"),
        legal_entity_id=_optional_id(body, "legalEntityId"),
        site_code=None if site_code is None else clean_id(site_code, "siteCode"),
        items=items,
    )


def redemption_document(redemption: Redemption) -> dict[str, Any]:
    """The redemption as the API returns it; needs the coupon joined."""
    document: dict[str, Any] = {"id": redemption.public_id, "code": redemption.coupon.public_id}
    if redemption.order_code:
        document["orderCode"] = redemption.order_code
    if redemption.customer_number:
        document["customerNumber"] = redemption.customer_number
    if redemption.legal_entity_public_id:
        document["legalEntityId"] = redemption.legal_entity_public_id
    if redemption.site_code:
        document["siteCode"] = redemption.site_code
    document["orderTotal"] = money_document(
        redemption.order_total_amount, redemption.order_total_currency
    )
    document["discount"] = money_document(redemption.discount_amount, redemption.discount_currency)
    document["redeemedAt"] = format_datetime(redemption.created_at)
    return document
