"""Each API family answers errors in its own spec's shape (`segments_project/api/error_shapes.py`):
a 400, 403 and 404 per family through the real views (the Caller checks every answer against
the family's OpenAPI component), Django's own error pages, the 401 fault everywhere, and the
`missing scope: <scope>` details of a 403."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from django.test import RequestFactory

from segments_project.api import exceptions
from segments_project.api.error_shapes import ErrorFamily, coupon_error_type, family_for_path
from segments_project.errors import ErrorDetail, NotFound
from segments_project.tenancy import scopes
from segments_project.tenancy.permissions import missing_scope

from ..catalog.factories import make_category, make_product
from ..conftest import TENANT, Caller
from ..schema_conformance import assert_conforms, openapi_schema

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
CUSTOMERS = f"/customer/{TENANT}/customers"
COUPONS = f"/coupon/{TENANT}/coupons"
CATEGORIES = f"/category/{TENANT}/categories"
PRODUCTS = f"/product/{TENANT}/products"
COUPON_TYPE = re.compile(r"^[a-z]+[a-z_]*[a-z]+$")


class FakeResponse:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.content = json.dumps(body).encode()
        self.headers = {"Content-Type": "application/json"}

    def json(self) -> Any:
        return json.loads(self.content)


@pytest.fixture
def nobody(issue_token) -> Caller:
    """A valid token of acme with no scope an operation below needs."""
    return Caller(issue_token(granted=frozenset({scopes.CUSTOMER_TOKEN_ISSUE})))


def _assert_segment_shape(body: dict[str, Any], status: int) -> None:
    assert body["code"] == status
    assert isinstance(body["status"], str)
    assert "type" not in body


def _assert_coupon_shape(body: dict[str, Any], status: int, kind: str) -> None:
    assert body["status"] == status
    assert body["type"] == kind
    assert COUPON_TYPE.match(body["type"])
    assert "code" not in body and "resourceId" not in body
    assert body["message"]


def _assert_category_shape(body: dict[str, Any], status: int) -> None:
    assert body["code"] == status
    assert isinstance(body["status"], str)
    assert isinstance(body["details"], list)
    assert all(isinstance(detail, str) for detail in body["details"])


# --- family by path ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/coupon/acme/coupons", ErrorFamily.COUPON),
        ("coupon", ErrorFamily.COUPON),
        ("/category/acme/category-trees", ErrorFamily.CATEGORY),
        ("/product/acme/products/search", ErrorFamily.PRODUCT),
        ("/customer-segment/acme/segments", ErrorFamily.CUSTOMER_SEGMENT),
        ("/customer/acme/customers", ErrorFamily.CUSTOMER_SEGMENT),
        ("/couponx/acme", ErrorFamily.CUSTOMER_SEGMENT),
        ("/", ErrorFamily.CUSTOMER_SEGMENT),
        (None, ErrorFamily.CUSTOMER_SEGMENT),
    ],
)
def test_the_family_is_the_first_path_segment(path, family):
    assert family_for_path(path) is family


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "validation_violation"),
        (403, "insufficient_permissions"),
        (404, "element_resource_non_existing"),
        (409, "conflict_resource"),
        (500, "internal_service_error"),
        (413, "request_entity_too_large"),
        (429, "too_many_requests"),
        (503, "service_unavailable"),
    ],
)
def test_coupon_types_are_the_specs_or_the_phrase_in_lowercase(status, kind):
    assert coupon_error_type(status) == kind
    assert COUPON_TYPE.match(kind)


# --- customer-segment and customer -------------------------------------------------------------


def test_segment_errors_keep_the_customer_segment_shape(manager, reader):
    invalid = manager.post(SEGMENTS, {"id": "s1", "name": 5})
    assert invalid.status_code == 400
    _assert_segment_shape(invalid.json(), 400)
    assert invalid.json()["details"][0]["field"] == "name"

    missing = manager.get(f"{SEGMENTS}/nope")
    assert missing.status_code == 404
    _assert_segment_shape(missing.json(), 404)
    assert missing.json()["resourceId"] == "nope"

    refused = reader.delete(f"{SEGMENTS}/nope")
    assert refused.status_code == 403
    _assert_segment_shape(refused.json(), 403)
    assert refused.json()["details"] == [f"missing scope: {scopes.SEGMENT_MANAGE}"]


def test_customer_paths_keep_the_customer_segment_shape(manager, reader):
    missing = manager.get(f"{CUSTOMERS}/nope")
    assert missing.status_code == 404
    _assert_segment_shape(missing.json(), 404)

    refused = reader.get(f"{CUSTOMERS}/nope")
    assert refused.status_code == 403
    _assert_segment_shape(refused.json(), 403)
    assert set(refused.json()["details"]) == {
        f"missing scope: {scopes.CUSTOMER_MANAGE}",
        f"missing scope: {scopes.CUSTOMER_READ}",
    }


# --- coupon ------------------------------------------------------------------------------------


def test_coupon_errors_have_an_integer_status_and_a_type(manager, reader):
    invalid = manager.post(COUPONS, {"code": "X1", "discountType": "SOMETIMES"})
    assert invalid.status_code == 400
    _assert_coupon_shape(invalid.json(), 400, "validation_violation")
    assert invalid.json()["details"][0]["field"]

    missing = manager.get(f"{COUPONS}/NOPE")
    assert missing.status_code == 404
    _assert_coupon_shape(missing.json(), 404, "element_resource_non_existing")

    refused = reader.get(COUPONS)
    assert refused.status_code == 403
    _assert_coupon_shape(refused.json(), 403, "insufficient_permissions")
    assert refused.json()["details"] == [
        f"missing scope: {scopes.COUPON_MANAGE}",
        f"missing scope: {scopes.COUPON_READ}",
    ]


def test_a_coupon_conflict_is_conflict_resource(manager):
    coupon = {
        "code": "TWICE",
        "name": "Twice",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 5, "currency": "EUR"},
    }
    assert manager.post(COUPONS, coupon).status_code == 201

    conflict = manager.post(COUPONS, coupon)

    assert conflict.status_code == 409
    _assert_coupon_shape(conflict.json(), 409, "conflict_resource")


def test_a_malformed_coupon_body_is_a_coupon_400(manager):
    response = manager.post(COUPONS, "{not json")

    assert response.status_code == 400
    _assert_coupon_shape(response.json(), 400, "validation_violation")


# --- category ----------------------------------------------------------------------------------


def test_category_errors_always_have_string_details(manager, reader):
    invalid = manager.post(CATEGORIES, {"id": "c1", "name": 5})
    assert invalid.status_code == 400
    _assert_category_shape(invalid.json(), 400)
    assert invalid.json()["details"][0].startswith("localizedName: ")

    missing = manager.get(f"{CATEGORIES}/nope")
    assert missing.status_code == 404
    _assert_category_shape(missing.json(), 404)
    assert missing.json()["details"] == []
    assert missing.json()["resourceId"] == "nope"

    refused = reader.post(CATEGORIES, {"id": "c2", "name": {"en": "C2"}})
    assert refused.status_code == 403
    _assert_category_shape(refused.json(), 403)
    assert refused.json()["details"] == [f"missing scope: {scopes.CATEGORY_MANAGE}"]


def test_a_category_tree_404_has_details(manager):
    make_category(TENANT, "root")

    response = manager.get(f"/category/{TENANT}/category-trees/nope")

    assert response.status_code == 404
    _assert_category_shape(response.json(), 404)


# --- product -----------------------------------------------------------------------------------


def test_product_errors_name_the_product_as_product_id(manager, reader):
    invalid = manager.post(PRODUCTS, {"id": "p1", "name": 5})
    assert invalid.status_code == 400
    _assert_segment_shape(invalid.json(), 400)
    assert invalid.json()["details"][0]["field"] == "name"

    missing = manager.get(f"{PRODUCTS}/nope")
    assert missing.status_code == 404
    _assert_segment_shape(missing.json(), 404)
    assert missing.json()["productId"] == "nope"
    assert "resourceId" not in missing.json()

    refused = reader.post(PRODUCTS, {"id": "p2", "name": {"en": "P2"}})
    assert refused.status_code == 403
    _assert_segment_shape(refused.json(), 403)
    assert f"missing scope: {scopes.PRODUCT_MANAGE}" in (refused.json()["details"])


# --- the same in every family ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [f"{SEGMENTS}/x", f"{COUPONS}/X", f"{CATEGORIES}/x", f"{PRODUCTS}/x", CUSTOMERS]
)
def test_401_is_the_fault_body_everywhere(anonymous, path):
    response = anonymous.get(path)

    assert response.status_code == 401
    assert response.json() == exceptions.UNAUTHORIZED_BODY


def test_another_tenants_token_gets_the_familys_403_without_missing_scopes(outsider):
    make_product(TENANT, "p1")

    coupon = outsider.get(COUPONS)
    category = outsider.get(f"{CATEGORIES}/x")

    assert coupon.status_code == category.status_code == 403
    _assert_coupon_shape(coupon.json(), 403, "insufficient_permissions")
    assert "details" not in coupon.json()
    _assert_category_shape(category.json(), 403)
    assert category.json()["details"] == []


@pytest.mark.parametrize(
    ("path", "check"),
    [
        (
            f"{COUPONS}/X/nothing/here",
            lambda b: _assert_coupon_shape(b, 404, coupon_error_type(404)),
        ),
        (f"{CATEGORIES}/x/nothing/here", lambda b: _assert_category_shape(b, 404)),
        (f"{PRODUCTS}/x/nothing/here", lambda b: _assert_segment_shape(b, 404)),
        (f"{SEGMENTS}/x/nothing/here/at/all", lambda b: _assert_segment_shape(b, 404)),
        ("/nowhere/at/all", lambda b: _assert_segment_shape(b, 404)),
    ],
)
def test_unknown_urls_answer_the_familys_404(client, path, check):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    check(response.json())


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (exceptions.handler400, 400),
        (exceptions.handler403, 403),
        (exceptions.handler404, 404),
        (exceptions.handler500, 500),
    ],
)
def test_djangos_error_handlers_follow_the_family(handler, status):
    def answer(path: str) -> dict[str, Any]:
        request = RequestFactory().get(path)
        response = handler(request) if handler is exceptions.handler500 else handler(request, None)
        assert response.status_code == status
        return json.loads(response.content)

    _assert_coupon_shape(answer(COUPONS), status, coupon_error_type(status))
    _assert_category_shape(answer(CATEGORIES), status)
    _assert_segment_shape(answer(PRODUCTS), status)
    _assert_segment_shape(answer(SEGMENTS), status)


def test_a_database_outage_is_a_503_in_the_familys_shape(manager, monkeypatch):
    from django.db import OperationalError

    from coupons.api import coupon_views

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("the database is gone")

    view = coupon_views.CouponCollectionView
    monkeypatch.setattr(view, "get", fail)

    response = manager.get(COUPONS, check_schema=False)

    assert response.status_code == 503
    assert response["Retry-After"]
    _assert_coupon_shape(response.json(), 503, "service_unavailable")


# --- missing scopes ----------------------------------------------------------------------------


def test_missing_scope_names_every_scope_that_would_do_but_never_the_any_token_marker():
    error = missing_scope(frozenset({scopes.PRODUCT_READ, scopes.ANY_TENANT_TOKEN}))

    assert error.details == [ErrorDetail("", "", f"missing scope: {scopes.PRODUCT_READ}")]
    assert scopes.ANY_TENANT_TOKEN not in error.message
    assert scopes.PRODUCT_READ in error.message


def test_an_operation_without_scopes_refuses_without_naming_any():
    error = missing_scope(frozenset())

    assert error.details == []
    assert error.message.endswith("server.")


def test_an_application_error_keeps_its_details_in_every_family():
    error = NotFound("Gone.", resource_id="x1", details=[ErrorDetail("id", "not_found", "Gone.")])
    handle = exceptions.api_exception_handler
    request = RequestFactory().get(f"{CATEGORIES}/x1")

    body = handle(error, {"request": request}).data

    assert body == {
        "code": 404,
        "status": "Not Found",
        "message": "Gone.",
        "resourceId": "x1",
        "details": ["id: Gone."],
    }


# --- the schema describes each family's shape --------------------------------------------------

FAMILY_COMPONENTS = {
    "/coupon/": "CouponError",
    "/category/": "CategoryError",
    "/product/": "ProductError",
    "/customer-segment/": "Error",
    "/customer/": "Error",
    "/customerlogin/": "Error",
    "/webhook/": "Error",
}


def _error_refs(operation: dict[str, Any]) -> set[str]:
    refs = set()
    for status, response in operation.get("responses", {}).items():
        if not status.startswith(("4", "5")) or status == "401":
            continue
        for media in response.get("content", {}).values():
            refs.add(media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1])
    return refs


def test_every_operation_documents_its_familys_error_component():
    for path, item in openapi_schema()["paths"].items():
        expected = next(
            component for prefix, component in FAMILY_COMPONENTS.items() if path.startswith(prefix)
        )
        for method, operation in item.items():
            refs = _error_refs(operation)
            assert refs <= {expected}, f"{method.upper()} {path}: {refs}"


def test_the_family_components_require_what_the_specs_require():
    components = openapi_schema()["components"]["schemas"]

    assert set(components["CouponError"]["required"]) >= {"status", "type"}
    assert components["CouponError"]["properties"]["status"]["type"] == "integer"
    assert "code" not in components["CouponError"]["properties"]
    assert set(components["CategoryError"]["required"]) >= {"code", "details", "message", "status"}
    assert components["CategoryError"]["properties"]["details"]["items"]["type"] == "string"
    assert "productId" in components["ProductError"]["properties"]
    assert set(components["Error"]["required"]) >= {"code", "status", "message"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"{COUPONS}/X", {"code": 404, "status": "Not Found", "message": "No."}),
        (f"{COUPONS}/X", {"status": 404, "type": "Not-Found", "message": "No."}),
        (f"{CATEGORIES}/x", {"code": 404, "status": "Not Found", "message": "No."}),
        (
            f"{CATEGORIES}/x",
            {"code": 404, "status": "Not Found", "message": "No.", "details": [{}]},
        ),
        (f"{SEGMENTS}/x", {"status": 404, "type": "not_found", "message": "No."}),
    ],
)
def test_the_checker_refuses_another_familys_shape(path, body):
    with pytest.raises(AssertionError, match="does not match the schema"):
        assert_conforms("GET", path, FakeResponse(404, copy.deepcopy(body)))
