"""Input limits on every route: body size, bulk size, query length, id length, nesting,
encoding and unknown fields. None of them may answer 500 or write anything."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from segments_project.api.bulk import MAX_BULK_ELEMENTS
from segments_project.api.parsers import MAX_NESTING_DEPTH
from segments_project.api.query import MAX_QUERY_LENGTH

from ..conftest import TENANT
from ..errors import error_details, error_status
from ..schema_conformance import openapi_schema
from .operations import request_for
from .routes import Operation, snapshot, tenant_operations

pytestmark = pytest.mark.django_db

OPERATIONS = tenant_operations()
WITH_BODY = [op for op in OPERATIONS if request_for(op)[1] is not None]
BULK = [op for op in OPERATIONS if op.route.endswith("/bulk")]
WITH_IDS = [op for op in OPERATIONS if set(op.parameters) - {"tenant"}]
PATCHES = [op for op in OPERATIONS if op.method == "PATCH"]


def _ids(operations: list[Operation]) -> list[str]:
    return [operation.id for operation in operations]


def _q_operations() -> list[Operation]:
    """GET operations whose schema documents a `q` query parameter."""
    documented = set()
    for template, item in openapi_schema()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and any(
                parameter.get("name") == "q" and parameter.get("in") == "query"
                for parameter in operation.get("parameters", [])
            ):
                documented.add((method.upper(), template))
    return [
        op
        for op in OPERATIONS
        if (op.method, op.path({name: "{" + name + "}" for name in op.parameters})) in documented
    ]


Q_OPERATIONS = _q_operations()
SEARCHES = [op for op in OPERATIONS if op.route.endswith("/search")]


def _assert_json_error(response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert error_status(response.json()) == response.status_code


def _raw(caller, path: str, body: bytes, **meta: str):
    """A POST whose WSGI environ (e.g. CONTENT_LENGTH) the test sets itself."""
    return caller.client.generic(
        "POST",
        path,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {caller.token}",
        **meta,
    )


# --- body size ------------------------------------------------------------------------


@pytest.mark.parametrize("operation", WITH_BODY, ids=_ids(WITH_BODY))
def test_a_body_one_byte_over_the_limit_is_a_413(world, manager, operation):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'"' + b"x" * (limit - 1) + b'"'  # valid JSON string, limit + 1 bytes
    assert len(body) == limit + 1
    before = snapshot()

    response = manager.request(
        operation.method, operation.path(world) + request_for(operation)[0], body
    )

    _assert_json_error(response, 413)
    assert snapshot() == before


def test_a_body_exactly_at_the_limit_is_parsed(world, manager):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'"' + b"x" * (limit - 2) + b'"'

    response = manager.post(f"/customer-segment/{TENANT}/segments", body)

    _assert_json_error(response, 400)  # parsed, then refused: a string is not a segment


def test_a_declared_content_length_over_the_limit_is_a_413_before_reading(world, manager):
    before = snapshot()

    response = _raw(
        manager,
        f"/customer-segment/{TENANT}/segments",
        b'{"id": "tiny", "name": {"en": "Tiny"}, "siteCode": "main"}',
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    )

    _assert_json_error(response, 413)
    assert snapshot() == before


def test_a_content_length_shorter_than_the_body_reads_only_what_it_declares(world, manager):
    """The rest of the body is never read: a truncated document is a 400, not a write."""
    body = json.dumps({"id": "seg-lie", "name": {"en": "Lie"}, "siteCode": "main"}).encode()
    body += b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    before = snapshot()

    response = _raw(manager, f"/customer-segment/{TENANT}/segments", body, CONTENT_LENGTH="10")

    _assert_json_error(response, 400)
    assert snapshot() == before


def test_a_non_numeric_content_length_is_not_a_500(world, manager):
    response = _raw(
        manager,
        f"/customer-segment/{TENANT}/segments/search",
        b'{"q": "siteCode:main"}',
        CONTENT_LENGTH="lots",
    )

    assert response.status_code < 500


# --- bulk size ------------------------------------------------------------------------


@pytest.mark.parametrize("operation", BULK, ids=_ids(BULK))
def test_a_bulk_of_more_than_200_elements_is_a_400_and_writes_nothing(world, manager, operation):
    query, body = request_for(operation)
    assert isinstance(body, list) and body, "the bulk's table entry is a non-empty list"
    oversized = [body[0]] * (MAX_BULK_ELEMENTS + 1)
    before = snapshot()

    response = manager.request(operation.method, operation.path(world) + query, oversized)

    _assert_json_error(response, 400)
    assert snapshot() == before


def test_every_bulk_route_is_covered():
    assert len(BULK) >= 12


# --- query length ---------------------------------------------------------------------


@pytest.mark.parametrize("operation", Q_OPERATIONS, ids=_ids(Q_OPERATIONS))
def test_a_q_over_2000_characters_is_a_400(world, manager, operation):
    q = "id:" + "a" * (MAX_QUERY_LENGTH - 2)
    assert len(q) == MAX_QUERY_LENGTH + 1

    response = manager.get(f"{operation.path(world)}?q={q}")

    _assert_json_error(response, 400)


@pytest.mark.parametrize("operation", Q_OPERATIONS, ids=_ids(Q_OPERATIONS))
def test_a_q_of_2000_characters_is_not_refused_for_its_length(world, manager, operation):
    q = "id:" + "a" * (MAX_QUERY_LENGTH - 3)

    response = manager.get(f"{operation.path(world)}?q={q}")

    assert response.status_code < 500
    if response.status_code == 400:
        assert "maximum" not in response.json()["message"]


@pytest.mark.parametrize("operation", SEARCHES, ids=_ids(SEARCHES))
def test_a_search_q_over_2000_characters_is_a_400(world, manager, operation):
    q = "id:" + "a" * (MAX_QUERY_LENGTH - 2)

    response = manager.post(operation.path(world), {"q": q})

    _assert_json_error(response, 400)


def test_the_q_operations_were_found():
    assert len(Q_OPERATIONS) >= 8
    assert len(SEARCHES) >= 4


# --- ids in paths ---------------------------------------------------------------------


@pytest.mark.parametrize("operation", WITH_IDS, ids=_ids(WITH_IDS))
def test_ids_over_128_characters_are_a_400_or_404_and_write_nothing(world, manager, operation):
    query, body = request_for(operation)
    values = {
        name: (value if name in {"tenant", "item_type"} else "x" * 129)
        for name, value in world.items()
    }
    before = snapshot()

    response = manager.request(operation.method, operation.path(values) + query, body)

    assert snapshot() == before
    if operation.route in IDEMPOTENT_ANSWERS.get(response.status_code, {}).get(
        operation.method, ()
    ):
        return  # the documented answer for an id that does not exist (see below)
    _assert_json_error(response, 400, 404)


# Deletes are idempotent (204 for an unknown id, as documented in the schema) and the
# categories of an unknown product are an empty list: for those an over-long id is simply
# "not there". Everything else refuses it (400) or does not find it (404).
IDEMPOTENT_ANSWERS = {
    204: {
        "DELETE": (
            "customer-segment/<str:tenant>/segments/<str:segment_id>",
            "category/<str:tenant>/assignments/references/<str:reference_id>",
            "category/<str:tenant>/categories/<str:category_id>",
            "product/<str:tenant>/products/<str:product_id>",
            "customer/<str:tenant>/customers/<str:customer_id>",
            "customer/<str:tenant>/legal-entities/<str:legal_entity_id>",
        )
    },
    200: {"GET": ("category/<str:tenant>/assignments/references/<str:reference_id>",)},
}


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids(OPERATIONS))
def test_a_tenant_over_128_characters_is_a_400(world, manager, operation):
    query, body = request_for(operation)

    response = manager.request(
        operation.method, operation.path({**world, "tenant": "t" * 129}) + query, body
    )

    _assert_json_error(response, 400)


# --- nesting and encoding -------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("operation", WITH_BODY, ids=_ids(WITH_BODY))
@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH + 1, 200_000])
def test_deeply_nested_json_is_a_400(world, manager, operation, depth):
    before = snapshot()

    response = manager.request(
        operation.method, operation.path(world) + request_for(operation)[0], _nested(depth)
    )

    _assert_json_error(response, 400)
    assert snapshot() == before


@pytest.mark.parametrize("operation", WITH_BODY, ids=_ids(WITH_BODY))
def test_invalid_utf8_is_a_400(world, manager, operation):
    body = json.dumps(request_for(operation)[1]).encode()
    invalid = body[:-1] + b' , "\xff\xfe"' + body[-1:] if body[:1] == b"[" else b'{"id": "\xc3("}'
    before = snapshot()

    response = manager.request(
        operation.method, operation.path(world) + request_for(operation)[0], invalid
    )

    _assert_json_error(response, 400)
    assert "UTF-8" in response.json()["message"]
    assert snapshot() == before


# --- unknown fields -------------------------------------------------------------------

UNKNOWN_ACCEPTED = [
    (
        "POST",
        "/customer-segment/acme/segments",
        {"id": "seg-u", "name": {"en": "U"}, "siteCode": "main"},
    ),
    ("PUT", "/customer-segment/acme/segments/seg-one", {"name": {"en": "U"}, "siteCode": "main"}),
    ("POST", "/product/acme/products", {"id": "prod-u", "code": "U", "name": {"en": "U"}}),
    ("PUT", "/product/acme/products/prod-one", {"code": "U", "name": {"en": "U"}}),
    ("POST", "/category/acme/categories", {"id": "cat-u", "localizedName": {"en": "U"}}),
    ("PUT", "/category/acme/categories/cat-root", {"localizedName": {"en": "U"}}),
    ("PUT", "/customer/acme/customers/cust-one", {"firstName": "U"}),
    ("PUT", "/customer/acme/legal-entities/le-one", {"name": "U"}),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), UNKNOWN_ACCEPTED, ids=[f"{m} {p}" for m, p, _ in UNKNOWN_ACCEPTED]
)
def test_unknown_fields_are_ignored_on_put_and_post(world, manager, method, path, body):
    response = manager.request(method, path, {**body, "unknownField": {"x": 1}, "zzz": 2})

    assert response.status_code in {200, 201, 204}, response.content
    assert "unknownField" not in json.dumps(snapshot(), default=str)


def test_coupons_refuse_unknown_fields_on_post_by_design(world, manager):
    """coupons/documents.py refuses unknown members everywhere (a misspelt limit must not
    silently mean "unlimited"): the one deliberate exception to "ignored on PUT/POST"."""
    coupon = {
        "code": "CODEU",
        "name": "U",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 1, "currency": "EUR"},
        "maxRedemptionz": 1,
    }
    before = snapshot()

    response = manager.post("/coupon/acme/coupons", coupon)

    _assert_json_error(response, 400)
    assert response.json()["details"][0]["field"] == "maxRedemptionz"
    assert snapshot() == before


@pytest.mark.parametrize("operation", PATCHES, ids=_ids(PATCHES))
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/merge-patch+json", {"unknownField": 1}),
        ("application/json-patch+json", [{"op": "add", "path": "/unknownField", "value": 1}]),
    ],
    ids=["merge-patch", "json-patch"],
)
def test_unknown_fields_are_refused_on_patch(world, manager, operation, content_type, body):
    before = snapshot()

    response = manager.request(
        operation.method, operation.path(world), json.dumps(body), content_type=content_type
    )

    _assert_json_error(response, 400)
    assert snapshot() == before


# --- characters no database column takes -------------------------------------------

# U+0000 and lone surrogates (U+D800..U+DFFF) are valid JSON escapes but no database
# column takes them (PostgreSQL refuses NUL in text and jsonb; neither backend encodes a
# lone surrogate): the parser and the path checks refuse them with 400 before any write.


def _unless_known_defect(response) -> None:
    assert response.status_code != 500, response.content


def _poisoned(value, poison: str):
    """The body with `poison` appended to every string value (keys kept)."""
    if isinstance(value, dict):
        return {key: _poisoned(item, poison) for key, item in value.items()}
    if isinstance(value, list):
        return [_poisoned(item, poison) for item in value]
    if isinstance(value, str):
        return value + poison
    return value


@pytest.mark.parametrize("operation", WITH_IDS, ids=_ids(WITH_IDS))
def test_a_nul_in_a_path_id_is_refused_not_a_500(world, manager, operation):
    query, body = request_for(operation)
    values = {
        name: (value if name in {"tenant", "item_type"} else value + "%00")
        for name, value in world.items()
    }
    before = snapshot()

    response = manager.request(
        operation.method, operation.path(values) + query, body, check_schema=False
    )

    _unless_known_defect(response)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert snapshot() == before


@pytest.mark.parametrize("poison", ["\x00", "\ud800"], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("operation", WITH_BODY, ids=_ids(WITH_BODY))
def test_unstorable_characters_in_a_body_are_refused_not_a_500(world, manager, operation, poison):
    query, body = request_for(operation)
    raw = json.dumps(_poisoned(body, poison))  # ASCII: \u0000 and \ud800 escapes
    before = snapshot()

    response = manager.request(
        operation.method, operation.path(world) + query, raw, check_schema=False
    )

    _unless_known_defect(response)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert snapshot() == before


# --- read-only paths in a JSON Patch ---------------------------------------------------


@pytest.mark.parametrize("operation", PATCHES, ids=_ids(PATCHES))
@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        (
            [{"op": "replace", "path": "/metadata/createdAt", "value": "2001-01-01T00:00:00Z"}],
            "/metadata/createdAt",
        ),
        ([{"op": "remove", "path": "/metadata/modifiedAt"}], "/metadata/modifiedAt"),
        (
            [{"op": "add", "path": "/metadata", "value": {"createdAt": "2001-01-01T00:00:00Z"}}],
            "/metadata/createdAt",
        ),
    ],
    ids=["replace", "remove", "through-the-parent"],
)
def test_a_json_patch_of_a_read_only_path_is_a_400_naming_it(
    world, manager, operation, patch, pointer
):
    before = snapshot()

    response = manager.request(
        operation.method,
        operation.path(world),
        json.dumps(patch),
        content_type="application/json-patch+json",
    )

    _assert_json_error(response, 400)
    detail = error_details(response.json())[0]
    assert detail["field"] == pointer[1:].replace("/", ".")
    assert detail.get("type", "read_only") == "read_only"  # category details are strings
    assert pointer in response.json()["message"]
    assert snapshot() == before


@pytest.mark.parametrize("operation", PATCHES, ids=_ids(PATCHES))
def test_a_failed_json_patch_test_says_why_in_json_terms(world, manager, operation):
    before = snapshot()

    response = manager.request(
        operation.method,
        operation.path(world),
        json.dumps([{"op": "test", "path": "/metadata/version", "value": 999}]),
        content_type="application/json-patch+json",
    )

    _assert_json_error(response, 400)
    message = response.json()["message"]
    assert "/metadata/version" in message
    assert "not 999" in message
    assert "<class" not in message
    assert snapshot() == before
