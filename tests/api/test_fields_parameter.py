"""`fields`: a name the operation's documented answer does not have is a 400 naming it, on
every operation that takes `fields`; documented names, nested ones included, still project."""

from __future__ import annotations

from typing import Any

import pytest

from segments_project.api.documented_fields import is_documented

from ..conftest import TENANT, Caller
from ..errors import error_details, error_status
from ..schema_conformance import openapi_schema
from ..security.operations import request_for
from ..security.routes import Operation, seed_everything, tenant_operations
from ..segments.factories import make_customer, make_segment

SEGMENTS = f"/customer-segment/{TENANT}/segments"


def _takes_fields(operation: Operation) -> bool:
    template = "/" + operation.route.replace("<str:", "{").replace(">", "}")
    item = openapi_schema()["paths"].get(template, {})
    parameters = item.get(operation.method.lower(), {}).get("parameters", [])
    return any(parameter.get("name") == "fields" for parameter in parameters)


WITH_FIELDS = [operation for operation in tenant_operations() if _takes_fields(operation)]


def test_the_operations_that_take_fields_are_found():
    routes = {(operation.method, operation.route) for operation in WITH_FIELDS}
    assert ("GET", "customer-segment/<str:tenant>/segments") in routes
    assert ("GET", "coupon/<str:tenant>/coupons/<str:code>") in routes
    assert ("POST", "category/<str:tenant>/categories/search") in routes
    assert len(WITH_FIELDS) >= 25


@pytest.mark.django_db
@pytest.mark.parametrize("operation", WITH_FIELDS, ids=[op.id for op in WITH_FIELDS])
def test_an_unknown_field_is_a_400_naming_it(manager, operation):
    world = seed_everything(manager)
    query, body = request_for(operation)
    path = operation.path(world)
    separator = "&" if query else ""
    url = f"{path}?{query}{separator}fields=no_such_field,metadata.nope"

    response = manager.request(operation.method, url, body)

    assert response.status_code == 400, response.content
    error = response.json()
    assert error_status(error) == 400
    assert "no_such_field" in error["message"] and "metadata.nope" in error["message"]
    assert [detail["message"] for detail in error_details(error)] == [
        "unknown field: no_such_field",
        "unknown field: metadata.nope",
    ]


@pytest.mark.django_db
def test_an_empty_list_still_refuses_an_unknown_field(issue_token):
    """The case the issue met: a customer with no segments got `[]` for any `fields`."""
    make_customer(TENANT, "c9")
    customer = Caller(issue_token(customer_id="c9"))

    response = customer.get(f"{SEGMENTS}/items?fields=no_such_field")

    assert response.status_code == 400
    assert response.json()["details"][0]["message"] == "unknown field: no_such_field"
    assert customer.get(f"{SEGMENTS}/items?fields=item.id").json() == []


@pytest.mark.django_db
def test_documented_names_project_nested_ones_included(manager):
    make_segment(TENANT, "gold", mixins={"loyalty": {"tier": 3}})

    listed = manager.get(f"{SEGMENTS}?fields=id,name.en,metadata.version,mixins.loyalty.tier")
    detail = manager.get(f"{SEGMENTS}/gold?fields=siteCode,validity.from,mixins.anything")

    assert listed.status_code == detail.status_code == 200
    assert listed.json() == [
        {
            "id": "gold",
            "name": {"en": "Gold"},
            "metadata": {"version": 1},
            "mixins": {"loyalty": {"tier": 3}},
        }
    ]
    assert detail.json() == {"siteCode": "main"}


@pytest.mark.django_db
@pytest.mark.parametrize("fields", ["name.en.x", "id.x", "metadata.version.y", "nope"])
def test_a_path_below_a_documented_leaf_is_unknown(manager, fields):
    make_segment(TENANT, "gold")

    response = manager.get(f"{SEGMENTS}/gold?fields={fields}")

    assert response.status_code == 400
    assert response.json()["details"][0]["message"] == f"unknown field: {fields}"


# --- walking a schema --------------------------------------------------------------------------

LEAF: dict[str, Any] = {"type": "string"}
SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "allOf": [
            {"type": "object", "properties": {"id": LEAF}},
            {
                "type": "object",
                "properties": {
                    "name": {"type": "object", "additionalProperties": LEAF},
                    "extra": {"type": "object", "additionalProperties": True},
                    "free": {"type": "object"},
                    "any": {},
                    "choice": {
                        "oneOf": [
                            {"type": "object", "properties": {"a": LEAF}},
                            {"type": "object", "properties": {"b": LEAF}},
                        ]
                    },
                },
            },
        ]
    },
}


@pytest.mark.parametrize(
    ("path", "documented"),
    [
        (("id",), True),
        (("name",), True),
        (("name", "en"), True),
        (("name", "en", "x"), False),
        (("extra", "a", "b"), True),
        (("free", "a"), True),
        (("any", "a", "b"), True),
        (("choice", "a"), True),
        (("choice", "b"), True),
        (("choice", "c"), False),
        (("id", "x"), False),
        (("nope",), False),
    ],
)
def test_is_documented_walks_arrays_composites_and_maps(path, documented):
    assert is_documented(SCHEMA, path) is documented
