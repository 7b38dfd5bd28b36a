"""The tenant API as the URL configuration declares it, and one seeded object of everything.

`tenant_operations()` walks `get_resolver()` recursively and yields every (method, route)
of a `TenantAPIView` subclass, taking the methods from the view's `required_scopes`; tests
parametrize over it, so a new route or method is covered (or fails) without editing them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from coupons.services import referral_settings_save
from segments.services.exclusions import exclusion_put
from segments_project.api.views import TenantAPIView
from webhooks.services import subscription_create, subscription_test_send

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT, Caller
from ..segments.factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Operation:
    method: str
    route: str  # e.g. "coupon/<str:tenant>/coupons/<str:code>"
    view: type[TenantAPIView]

    @property
    def id(self) -> str:
        return f"{self.method} /{self.route}"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.view.required_scopes[self.method])

    def path(self, values: dict[str, str]) -> str:
        """The route with every `<converter:name>` filled from `values` (KeyError if missing)."""
        return "/" + _PARAMETER.sub(lambda match: values[match["name"]], self.route)

    @property
    def parameters(self) -> list[str]:
        return [match["name"] for match in _PARAMETER.finditer(self.route)]


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def tenant_operations() -> list[Operation]:
    found = []
    for route, pattern in _walk(get_resolver()):
        view = getattr(pattern.callback, "view_class", None)
        if isinstance(view, type) and issubclass(view, TenantAPIView):
            found.extend(Operation(method, route, view) for method in view.required_scopes)
    return found


# One of everything in tenant acme; the ids are distinctive so a body can be searched for them.
SEGMENT = "seg-one"
PRODUCT = "prod-one"
FREE_PRODUCT = "prod-free"  # in no category and no segment
CATEGORY = "cat-root"
CHILD_CATEGORY = "cat-child"
CUSTOMER = "cust-one"
OTHER_CUSTOMER = "cust-two"
LEGAL_ENTITY = "le-one"
COUPON = "CODEONE"
ORDER_CODE = "order-one"
SUBSCRIPTION = "hook-one"


def seed_everything(manager: Caller) -> dict[str, str]:
    """Seeds acme and answers the value of every path parameter the API's routes use."""
    # With a rule, so that "evaluate now" has something to evaluate.
    make_segment(TENANT, SEGMENT, criteria={"q": "id:exists"})
    product = make_product(TENANT, PRODUCT)
    make_product(TENANT, FREE_PRODUCT)
    root = make_category(TENANT, CATEGORY)
    make_category(TENANT, CHILD_CATEGORY, parent=root)
    assignment = make_assignment(root, product)
    legal_entity = make_legal_entity(TENANT, LEGAL_ENTITY)
    customer = make_customer(TENANT, CUSTOMER, legal_entities=(legal_entity,))
    from segments.models import Segment

    segment = Segment.objects.get(tenant_id=TENANT, public_id=SEGMENT)
    assign_item(segment, product)
    assign_item(segment, root)
    assign_customer(segment, customer)
    assign_customer(segment, customer, legal_entity)
    # Excluded from AUTOMATIC membership only: the MANUAL assignments above stay.
    exclusion_put(tenant=TENANT, segment_id=SEGMENT, customer_id=CUSTOMER)
    coupon = {
        "code": COUPON,
        "name": "Coupon one",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 10, "currency": "EUR"},
        "maxRedemptions": 100,
    }
    referral_settings_save(
        tenant=TENANT, values={"discount_amount": Decimal(5), "discount_currency": "EUR"}
    )
    created = manager.post(f"/coupon/{TENANT}/coupons", coupon)
    assert created.status_code == 201, created.content
    redeemed = manager.post(
        f"/coupon/{TENANT}/coupons/{COUPON}/redemptions",
        {
            "customerNumber": CUSTOMER,
            "orderCode": ORDER_CODE,
            "orderTotal": {"amount": 50, "currency": "EUR"},
            "discount": {"amount": 10, "currency": "EUR"},
        },
    )
    assert redeemed.status_code == 201, redeemed.content
    subscription, _ = subscription_create(
        tenant=TENANT,
        document={"id": SUBSCRIPTION, "url": "https://hooks.example.com/x", "eventTypes": ["*"]},
    )
    delivery = subscription_test_send(tenant=TENANT, subscription_id=subscription.public_id)
    return {
        "tenant": TENANT,
        "segment_id": SEGMENT,
        "item_type": "PRODUCT",
        "item_id": PRODUCT,
        "customer_id": CUSTOMER,
        "legal_entity_id": LEGAL_ENTITY,
        "category_id": CATEGORY,
        "root_category_id": CATEGORY,
        "assignment_id": assignment.public_id,
        "reference_id": PRODUCT,
        "product_id": PRODUCT,
        "code": COUPON,
        "redemption_id": redeemed.json()["id"],
        "subscription_id": SUBSCRIPTION,
        "delivery_id": str(delivery.public_id),
    }


def tenant_tables() -> list[Any]:
    """Every model whose rows belong to tenants: the catalog, segments, coupons and webhooks
    apps."""
    return [
        model
        for label in ("catalog", "segments", "coupons", "webhooks")
        for model in apps.get_app_config(label).get_models()
    ] + [apps.get_model("tenancy", "Tenant")]


def snapshot() -> dict[str, list[dict]]:
    """Every row of every tenant table, in primary-key order."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in tenant_tables()
    }
