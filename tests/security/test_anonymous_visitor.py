"""What an anonymous storefront visitor's token may do, over every tenant API operation the
URL configuration declares (tests/security/routes.py): read what is open to every token of
the tenant (published catalog data) or to visitors (the storefront's items and trees, coupon
validation), and nothing else; never a write; never in another tenant."""

from __future__ import annotations

import pytest

from segments_project.tenancy import scopes

from ..conftest import OTHER_TENANT
from ..tenancy.visitors import visitor
from .operations import request_for
from .routes import (
    CUSTOMER,
    LEGAL_ENTITY,
    ORDER_CODE,
    SEGMENT,
    Operation,
    snapshot,
    tenant_operations,
)

pytestmark = pytest.mark.django_db

OPERATIONS = tenant_operations()
IDS = [operation.id for operation in OPERATIONS]
OPEN_MARKERS = frozenset({scopes.ANONYMOUS_VISITOR, scopes.ANY_TENANT_TOKEN})
# Operations that read although their method is POST.
_READ_SUFFIXES = ("/search", "/match", "/validation")


def _is_write(operation: Operation) -> bool:
    return operation.method != "GET" and not operation.route.endswith(_READ_SUFFIXES)


def _is_open(operation: Operation) -> bool:
    return bool(operation.scopes & OPEN_MARKERS)


def _without_customer(body):
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if key != "customerNumber"}
    return body


def test_no_write_is_open_to_visitors():
    writes = [operation.id for operation in OPERATIONS if _is_write(operation)]
    assert len(writes) > 25
    assert [op.id for op in OPERATIONS if _is_write(op) and _is_open(op)] == []


def test_only_storefront_reads_coupon_validation_and_catalog_reads_are_open():
    open_ids = {operation.id for operation in OPERATIONS if _is_open(operation)}
    visitor_ids = {
        "GET /customer-segment/<str:tenant>/segments/items",
        "GET /customer-segment/<str:tenant>/segments/items/category-trees",
        "POST /coupon/<str:tenant>/coupons/<str:code>/validation",
    }

    assert visitor_ids <= open_ids
    others = open_ids - visitor_ids
    assert all(op_id.split(" /")[1].startswith(("category/", "product/")) for op_id in others)


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_a_visitor_token_does_only_what_is_open_to_it(world, operation):
    caller = visitor()
    query, body = request_for(operation)
    before = snapshot()

    elsewhere = caller.request(
        operation.method, operation.path({**world, "tenant": OTHER_TENANT}) + query, body
    )
    here = caller.request(operation.method, operation.path(world) + query, _without_customer(body))

    assert snapshot() == before
    assert elsewhere.status_code == 403, elsewhere.content
    if not _is_open(operation):
        assert here.status_code == 403, here.content
        return
    assert here.status_code < 500 and here.status_code not in (401, 403), here.content
    text = here.content.decode()
    for secret in (CUSTOMER, LEGAL_ENTITY, SEGMENT, ORDER_CODE, world["redemption_id"]):
        assert secret not in text, f"{operation.id} leaked {secret}: {text[:500]}"
