"""The storefront part of `load_demo`'s banner: a demo customer's token and three curls
that answer with that customer's real data."""

from __future__ import annotations

import json
import shlex

from .coupons import VALIDATION_COUPON
from .customers import CUSTOMERS, TOKEN_CUSTOMER_ID

VALIDATION_BODY = {"orderTotal": {"amount": 120, "currency": "EUR"}}


def token_customer_name() -> str:
    customer = next(c for c in CUSTOMERS if c["id"] == TOKEN_CUSTOMER_ID)
    return f"{customer['firstName']} {customer['lastName']}"


def storefront_curls(*, base_url: str, tenant: str, token: str) -> list[tuple[str, str]]:
    """(what it asks, the shell command) for the customer's items, their category tree and
    a coupon validation."""
    auth = ["-H", f"Authorization: Bearer {token}"]
    items_url = f"{base_url}/customer-segment/{tenant}/segments/items"
    validation_url = f"{base_url}/coupon/{tenant}/coupons/{VALIDATION_COUPON}/validation"
    json_body = ["-H", "Content-Type: application/json", "-d", json.dumps(VALIDATION_BODY)]
    curls = [
        ("Their items (the products and categories their segments give them):", [items_url]),
        ("Their category tree:", [f"{items_url}/category-trees"]),
        (
            f"May they use coupon {VALIDATION_COUPON} on an order of 120 EUR?",
            ["-X", "POST", *json_body, validation_url],
        ),
    ]
    return [(label, shlex.join(["curl", *auth, *args])) for label, args in curls]
