"""A minimal, sensible request for every tenant API operation, keyed by (method, route).

A route+method that the URL configuration has and this table lacks fails the security
tests, so a new operation cannot be added without being covered (see `request_for`).
"""

from __future__ import annotations

from typing import Any

from .routes import CATEGORY, CUSTOMER, FREE_PRODUCT, PRODUCT, SEGMENT, Operation

SEG = "customer-segment/<str:tenant>"
SEG_ID = f"{SEG}/segments/<str:segment_id>"
CAT = "category/<str:tenant>"
CAT_ID = f"{CAT}/categories/<str:category_id>"
PROD = "product/<str:tenant>"
CUST = "customer/<str:tenant>"
COUP = "coupon/<str:tenant>/coupons"
HOOKS = "webhook/<str:tenant>/subscriptions"
HOOK_ID = f"{HOOKS}/<str:subscription_id>"

_SEGMENT = {"id": "seg-new", "name": {"en": "New"}, "siteCode": "main"}
_COUPON = {
    "code": "CODENEW",
    "name": "New",
    "discountType": "ABSOLUTE",
    "discountAbsolute": {"amount": 5, "currency": "EUR"},
}
_REDEMPTION = {
    "customerNumber": CUSTOMER,
    "orderTotal": {"amount": 50, "currency": "EUR"},
    "discount": {"amount": 10, "currency": "EUR"},
}
_SUBSCRIPTION = {"url": "https://hooks.example.com/new", "eventTypes": ["segment.*"]}
_CATEGORY = {"localizedName": {"en": "Changed"}, "published": True}
_PRODUCT = {"id": PRODUCT, "code": "changed", "name": {"en": "Changed"}}
_REF = {"ref": {"id": FREE_PRODUCT, "type": "PRODUCT"}}

# (method, route) -> (query string, body). Bodies are valid for the manager token.
REQUESTS: dict[tuple[str, str], tuple[str, Any]] = {
    ("GET", f"{SEG}/segments"): ("", None),
    ("GET", f"{SEG}/events"): ("?types=segment.*&pageSize=10", None),
    ("POST", f"{SEG}/segments"): ("", _SEGMENT),
    ("POST", f"{SEG}/segments/search"): ("", {"q": "siteCode:main"}),
    ("POST", f"{SEG}/segments/bulk"): ("", [_SEGMENT]),
    ("PUT", f"{SEG}/segments/bulk"): ("", [{**_SEGMENT, "id": SEGMENT}]),
    ("DELETE", f"{SEG}/segments/bulk"): ("?forceDelete=true", [SEGMENT]),
    ("POST", f"{SEG}/segments/criteria-preview"): ("", {"criteria": {"q": "id:exists"}}),
    ("GET", f"{SEG}/segments/items/category-trees"): ("", None),
    ("GET", f"{SEG}/segments/items"): ("", None),
    ("POST", f"{SEG}/segments/match"): ("", {"items": [{"id": PRODUCT}], "segmentIds": [SEGMENT]}),
    ("GET", f"{SEG}/me/segments"): ("", None),
    ("GET", f"{SEG}/segments/explain"): (f"?customerId={CUSTOMER}", None),
    ("GET", f"{SEG_ID}/items"): ("", None),
    ("POST", f"{SEG_ID}/items/search"): ("", {"q": f"item.id:{PRODUCT}"}),
    ("PUT", f"{SEG_ID}/items/<str:item_type>/bulk"): ("", [{"id": PRODUCT}]),
    ("DELETE", f"{SEG_ID}/items/<str:item_type>/bulk"): ("", [PRODUCT]),
    ("GET", f"{SEG_ID}/items/<str:item_type>/<str:item_id>"): ("", None),
    ("PUT", f"{SEG_ID}/items/<str:item_type>/<str:item_id>"): ("", {"mixins": {"a": 1}}),
    ("DELETE", f"{SEG_ID}/items/<str:item_type>/<str:item_id>"): ("", None),
    ("GET", f"{SEG_ID}/customers"): ("", None),
    ("POST", f"{SEG_ID}/customers/search"): ("", {"q": f"customerId:{CUSTOMER}"}),
    ("PUT", f"{SEG_ID}/customers/bulk"): ("", [{"customerId": CUSTOMER}]),
    ("DELETE", f"{SEG_ID}/customers/bulk"): ("", [{"customerId": CUSTOMER}]),
    ("GET", f"{SEG_ID}/customers/<str:customer_id>"): ("", None),
    ("PUT", f"{SEG_ID}/customers/<str:customer_id>"): ("", {"mixins": {"a": 1}}),
    ("DELETE", f"{SEG_ID}/customers/<str:customer_id>"): ("", None),
    ("GET", f"{SEG_ID}/exclusions"): ("", None),
    ("GET", f"{SEG_ID}/exclusions/<str:customer_id>"): ("", None),
    ("PUT", f"{SEG_ID}/exclusions/<str:customer_id>"): ("", None),
    ("DELETE", f"{SEG_ID}/exclusions/<str:customer_id>"): ("", None),
    ("GET", f"{SEG_ID}/evaluation"): ("", None),
    ("POST", f"{SEG_ID}/evaluation"): ("", None),
    ("GET", f"{SEG_ID}/customers/<str:customer_id>/<str:legal_entity_id>"): ("", None),
    ("PUT", f"{SEG_ID}/customers/<str:customer_id>/<str:legal_entity_id>"): (
        "",
        {"mixins": {"a": 1}},
    ),
    ("DELETE", f"{SEG_ID}/customers/<str:customer_id>/<str:legal_entity_id>"): ("", None),
    ("GET", SEG_ID): ("", None),
    ("PUT", SEG_ID): ("", {**_SEGMENT, "id": SEGMENT, "siteCode": "changed"}),
    ("PATCH", SEG_ID): ("", [{"op": "replace", "path": "/siteCode", "value": "changed"}]),
    ("DELETE", SEG_ID): ("?forceDelete=true", None),
    ("GET", f"{CAT}/categories"): ("", None),
    ("POST", f"{CAT}/categories"): ("", {**_CATEGORY, "id": "cat-new"}),
    ("POST", f"{CAT}/categories/search"): ("", {"q": "published:true"}),
    ("GET", f"{CAT}/category-trees"): ("", None),
    ("GET", f"{CAT}/category-trees/<str:category_id>"): ("", None),
    ("POST", f"{CAT}/category-trees/search"): ("", {"categoryIds": [CATEGORY]}),
    ("POST", f"{CAT}/category-trees/<str:root_category_id>/rebuild"): ("", None),
    ("GET", f"{CAT}/categories/categoryTree"): ("", None),
    ("GET", f"{CAT_ID}/subcategories"): ("", None),
    ("GET", f"{CAT_ID}/parents"): ("", None),
    ("GET", f"{CAT_ID}/assignments"): ("", None),
    ("POST", f"{CAT_ID}/assignments"): ("", _REF),
    ("DELETE", f"{CAT_ID}/assignments"): ("", None),
    ("POST", f"{CAT_ID}/assignments/bulk"): ("", [_REF]),
    ("PUT", f"{CAT_ID}/assignments/references/bulk"): ("", [{"ref": {"id": PRODUCT}}]),
    ("PUT", f"{CAT_ID}/assignments/references/<str:reference_id>"): ("", None),
    ("DELETE", f"{CAT_ID}/assignments/references/<str:reference_id>"): ("", None),
    ("DELETE", f"{CAT_ID}/assignments/<str:assignment_id>"): ("", None),
    ("GET", f"{CAT}/assignments/references/<str:reference_id>"): ("", None),
    ("DELETE", f"{CAT}/assignments/references/<str:reference_id>"): ("", None),
    ("GET", CAT_ID): ("", None),
    ("PUT", CAT_ID): ("", _CATEGORY),
    ("PATCH", CAT_ID): ("", {"position": 9}),
    ("DELETE", CAT_ID): ("?withSubcategories=true", None),
    ("GET", f"{PROD}/products"): ("", None),
    ("POST", f"{PROD}/products"): ("", {**_PRODUCT, "id": "prod-new"}),
    ("PUT", f"{PROD}/products/bulk"): ("", [_PRODUCT]),
    ("POST", f"{PROD}/products/search"): ("", {"q": f"id:{PRODUCT}"}),
    ("GET", f"{PROD}/products/<str:product_id>"): ("", None),
    ("PUT", f"{PROD}/products/<str:product_id>"): ("", _PRODUCT),
    ("PATCH", f"{PROD}/products/<str:product_id>"): (
        "",
        [{"op": "replace", "path": "/code", "value": "changed"}],
    ),
    ("DELETE", f"{PROD}/products/<str:product_id>"): ("", None),
    ("GET", f"{CUST}/customers"): ("", None),
    ("PUT", f"{CUST}/customers/bulk"): ("", [{"id": CUSTOMER, "firstName": "Changed"}]),
    ("GET", f"{CUST}/customers/<str:customer_id>"): ("", None),
    ("PUT", f"{CUST}/customers/<str:customer_id>"): ("", {"firstName": "Changed"}),
    ("PATCH", f"{CUST}/customers/<str:customer_id>"): ("", {"firstName": "Changed"}),
    ("DELETE", f"{CUST}/customers/<str:customer_id>"): ("", None),
    ("GET", f"{CUST}/legal-entities"): ("", None),
    ("PUT", f"{CUST}/legal-entities/bulk"): ("", [{"id": "le-new", "name": "New"}]),
    ("GET", f"{CUST}/legal-entities/<str:legal_entity_id>"): ("", None),
    ("PUT", f"{CUST}/legal-entities/<str:legal_entity_id>"): ("", {"name": "Changed"}),
    ("PATCH", f"{CUST}/legal-entities/<str:legal_entity_id>"): ("", {"name": "Changed"}),
    ("DELETE", f"{CUST}/legal-entities/<str:legal_entity_id>"): ("", None),
    ("GET", COUP): ("", None),
    ("POST", COUP): ("", _COUPON),
    ("GET", f"{COUP}/<str:code>"): ("", None),
    ("PUT", f"{COUP}/<str:code>"): ("?partial=true", {"name": "Changed"}),
    ("PATCH", f"{COUP}/<str:code>"): ("", {"name": "Changed"}),
    ("DELETE", f"{COUP}/<str:code>"): ("", None),
    ("POST", f"{COUP}/<str:code>/validation"): ("", _REDEMPTION),
    ("GET", f"{COUP}/<str:code>/redemptions"): ("", None),
    ("POST", f"{COUP}/<str:code>/redemptions"): ("", _REDEMPTION),
    ("GET", f"{COUP}/<str:code>/redemptions/<str:redemption_id>"): ("", None),
    ("DELETE", f"{COUP}/<str:code>/redemptions/<str:redemption_id>"): ("", None),
    ("GET", "coupon/<str:tenant>/referral-coupons/<str:customer_id>"): ("", None),
    ("POST", "coupon/<str:tenant>/referral-coupons/<str:customer_id>"): ("", None),
    ("GET", HOOKS): ("", None),
    ("POST", HOOKS): ("", _SUBSCRIPTION),
    ("GET", HOOK_ID): ("", None),
    ("PUT", HOOK_ID): ("", _SUBSCRIPTION),
    ("PATCH", HOOK_ID): ("", {"description": "Changed"}),
    ("DELETE", HOOK_ID): ("", None),
    ("POST", f"{HOOK_ID}/secret-rotation"): ("", {"gracePeriodSeconds": 60}),
    ("GET", f"{HOOK_ID}/deliveries"): ("", None),
    ("POST", f"{HOOK_ID}/deliveries/<str:delivery_id>/retry"): ("", None),
    ("POST", f"{HOOK_ID}/replay"): ("", {"from": "2020-01-01T00:00:00Z"}),
    ("POST", f"{HOOK_ID}/test"): ("", None),
}


def request_for(operation: Operation) -> tuple[str, Any]:
    """The (query string, body) of the operation; fails when the table has no entry."""
    key = (operation.method, operation.route)
    if key not in REQUESTS:
        raise AssertionError(
            f"{operation.id} has no entry in tests/security/operations.py REQUESTS: "
            "add a minimal request for it so the security matrix covers it."
        )
    return REQUESTS[key]
