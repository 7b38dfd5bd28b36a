"""The generated OpenAPI schema: valid, vendor-compatible, served offline, and the
response checker every API test relies on."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests import schema_conformance
from tests.schema_conformance import assert_conforms, openapi_schema, path_template

# The vendor's contract lives in shared/, beside the project's checkout.
_SPEC = "shared/reference/emporix/customer-segment.api.yml"
_CANDIDATES = [Path(__file__).resolve().parents[2].parent / _SPEC, Path("/work") / _SPEC]
REFERENCE = next((path for path in _CANDIDATES if path.exists()), _CANDIDATES[0])

SEGMENT_OPERATION_IDS = (
    "POST-customer-segment-create-segment",
    "GET-customer-segment-retrieve-segments",
    "POST-customer-segment-search-segments",
    "GET-customer-segment-retrieve-segment",
    "PUT-customer-segment-update-segment",
    "PATCH-customer-segment-update-segment",
    "DELETE-customer-segment-remove-segment",
    "POST-customer-segment-create-segments-bulk",
    "PUT-customer-segment-update-segments-bulk",
    "DELETE-customer-segment-remove-segments-bulk",
)

DETAIL_PATH = "/customer-segment/acme/segments/seg-1"
DETAIL_TEMPLATE = "/customer-segment/{tenant}/segments/{segment_id}"

VALID_SEGMENT = {
    "id": "seg-1",
    "name": {"en": "Gold customers"},
    "description": {"en": "Spent more than 1000"},
    "validity": {"from": "2025-01-01T00:00:00.000Z", "to": None},
    "status": "ACTIVE",
    "siteCode": "main",
    "mixins": {},
    "metadata": {
        "version": 1,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "modifiedAt": "2025-01-01T00:00:00.000Z",
    },
}


class FakeResponse:
    """The parts of a Django test response the checker reads."""

    def __init__(
        self, status_code: int, body: Any = None, content_type: str = "application/json"
    ) -> None:
        self.status_code = status_code
        self.content = b"" if body is None else json.dumps(body).encode()
        self.headers = {"Content-Type": content_type} if self.content else {}

    def json(self) -> Any:
        return json.loads(self.content)


def operations_by_id(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def scopes_of(operation: dict[str, Any]) -> set[str]:
    return {
        scope
        for requirement in operation.get("security", [])
        for scopes in requirement.values()
        for scope in scopes
    }


# --- the schema itself ---------------------------------------------------------------------


@pytest.mark.django_db
def test_spectacular_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.")
    assert DETAIL_TEMPLATE in document["paths"]


def test_schema_has_the_vendor_segment_operation_ids():
    operations = operations_by_id(openapi_schema())
    missing = [
        operation_id for operation_id in SEGMENT_OPERATION_IDS if operation_id not in operations
    ]
    assert not missing, f"operationIds missing from the schema: {missing}"


@pytest.mark.parametrize("operation_id", SEGMENT_OPERATION_IDS)
def test_segment_operation_scopes_match_the_reference(operation_id):
    reference = operations_by_id(yaml.safe_load(REFERENCE.read_text()))
    ours = operations_by_id(openapi_schema())
    assert operation_id in reference, f"{operation_id} not in {REFERENCE.name}"
    operation = ours[operation_id]
    assert operation.get("security"), f"{operation_id} lists no security requirement"
    schemes = {name for requirement in operation["security"] for name in requirement}
    assert schemes == {"OAuth2"}
    declared = openapi_schema()["components"]["securitySchemes"]["OAuth2"]
    known = set(declared["flows"]["clientCredentials"]["scopes"])
    assert scopes_of(operation) <= known, "security names scopes the scheme does not declare"
    assert scopes_of(operation) == scopes_of(reference[operation_id])


# --- the checker ---------------------------------------------------------------------------


def test_path_template_resolves_documented_paths_only():
    assert path_template(DETAIL_PATH) == DETAIL_TEMPLATE
    assert path_template(DETAIL_PATH + "?fields=id,name") == DETAIL_TEMPLATE
    assert path_template("/customer-segment/acme/segments") == "/customer-segment/{tenant}/segments"
    assert path_template("/customer-segment/acme/segments/bulk") == (
        "/customer-segment/{tenant}/segments/bulk"
    )
    assert path_template("/customer-segment/acme/segments/search?pageSize=2") == (
        "/customer-segment/{tenant}/segments/search"
    )
    assert path_template("/oauth/token") is None
    assert path_template("/admin/") is None
    assert path_template("/no/such/thing") is None
    assert path_template("/customer-segment/acme/nothing-here/x/y") is None


def test_every_schema_path_resolves_back_to_its_template():
    for template in openapi_schema()["paths"]:
        candidates = [
            re.sub(r"\{[^}]+\}", sample, re.sub(r"\{tenant\}", "acme", template))
            for sample in ("1", "x1", "abc")
        ]
        found = {path_template(candidate) for candidate in candidates}
        assert template in found, f"{template}: {candidates} resolve to {found}"


def test_accepts_a_valid_body():
    assert_conforms("GET", DETAIL_PATH + "?fields=id", FakeResponse(200, VALID_SEGMENT))


def test_accepts_documented_error_and_empty_answers():
    error = {"code": 404, "status": "Not Found", "message": "No segment seg-1."}
    assert_conforms("GET", DETAIL_PATH, FakeResponse(404, error))
    assert_conforms("DELETE", DETAIL_PATH, FakeResponse(204))
    assert_conforms("PUT", DETAIL_PATH, FakeResponse(201, {"id": "seg-1"}))


def test_ignores_undocumented_paths_and_methods():
    assert_conforms("POST", "/oauth/token", FakeResponse(418, {"anything": 1}))
    assert_conforms("GET", "/nowhere", FakeResponse(418, {"anything": 1}))
    assert_conforms("OPTIONS", DETAIL_PATH, FakeResponse(200, {"anything": 1}))


def test_rejects_a_body_missing_a_required_member():
    # Segment members are all optional (`fields` projects them away); errors are not.
    body = {"status": "Not Found", "message": "No segment seg-1."}
    with pytest.raises(AssertionError) as caught:
        assert_conforms("GET", DETAIL_PATH, FakeResponse(404, body))
    message = str(caught.value)
    assert f"GET {DETAIL_TEMPLATE} answered 404" in message
    assert "'code' is a required property" in message
    assert "at $:" in message


def test_rejects_a_member_of_the_wrong_type():
    body = {**VALID_SEGMENT, "id": 42, "metadata": {**VALID_SEGMENT["metadata"], "version": "1"}}
    with pytest.raises(AssertionError) as caught:
        assert_conforms("GET", DETAIL_PATH, FakeResponse(200, body))
    message = str(caught.value)
    assert "42 is not of type 'string'" in message
    assert "$.id" in message
    assert "$.metadata.version" in message


def test_rejects_a_wrong_enum_value_and_null_where_not_nullable():
    body = {**VALID_SEGMENT, "status": "DORMANT", "siteCode": None}
    with pytest.raises(AssertionError) as caught:
        assert_conforms("GET", DETAIL_PATH, FakeResponse(200, body))
    message = str(caught.value)
    assert "$.status" in message
    assert "$.siteCode" in message


def test_accepts_null_where_nullable():
    body = {**VALID_SEGMENT, "validity": {"from": None, "to": None}}
    assert_conforms("GET", DETAIL_PATH, FakeResponse(200, body))


def test_rejects_a_wrong_list_element():
    path = "/customer-segment/acme/segments?pageSize=5"
    assert_conforms("GET", path, FakeResponse(200, [VALID_SEGMENT]))
    with pytest.raises(AssertionError) as caught:
        assert_conforms("GET", path, FakeResponse(200, [VALID_SEGMENT, {"id": 5}]))
    assert "$[1]" in str(caught.value)


def test_rejects_an_undocumented_status_code():
    with pytest.raises(AssertionError) as caught:
        assert_conforms("GET", DETAIL_PATH, FakeResponse(418, {"message": "teapot"}))
    message = str(caught.value)
    assert f"GET {DETAIL_TEMPLATE} answered 418, documented: [" in message
    assert "'200'" in message and "'404'" in message


def test_rejects_a_body_on_204():
    with pytest.raises(AssertionError, match="answered 204 with a body"):
        assert_conforms("DELETE", DETAIL_PATH, FakeResponse(204, {"id": "seg-1"}))


def test_rejects_a_body_where_the_documented_response_has_none(monkeypatch):
    schema = copy.deepcopy(openapi_schema())
    del schema["paths"][DETAIL_TEMPLATE]["get"]["responses"]["404"]["content"]
    monkeypatch.setattr(schema_conformance, "openapi_schema", lambda: schema)
    with pytest.raises(AssertionError, match="the documented response has no content"):
        assert_conforms("GET", DETAIL_PATH, FakeResponse(404, {"message": "gone"}))
    assert_conforms("GET", DETAIL_PATH, FakeResponse(404))


def test_rejects_a_missing_or_non_json_body_where_json_is_documented():
    with pytest.raises(AssertionError, match="empty body"):
        assert_conforms("GET", DETAIL_PATH, FakeResponse(200))
    html = FakeResponse(200, None)
    html.content = b"<html>oops</html>"
    html.headers = {"Content-Type": "text/html; charset=utf-8"}
    with pytest.raises(AssertionError, match="Content-Type text/html"):
        assert_conforms("GET", DETAIL_PATH, html)


def test_real_responses_conform(manager, anonymous, reader):
    """A round trip through the real views; the Caller checks every answer."""
    created = manager.post(
        "/customer-segment/acme/segments",
        {"id": "conformance-1", "name": {"en": "Gold"}, "siteCode": "main"},
    )
    assert created.status_code == 201, created.content
    segment_path = "/customer-segment/acme/segments/conformance-1"
    assert manager.get(segment_path).status_code == 200
    assert manager.get("/customer-segment/acme/segments?pageSize=5").status_code == 200
    assert manager.get("/customer-segment/acme/segments/missing-one").status_code == 404
    assert anonymous.get(segment_path).status_code == 401
    assert reader.delete(segment_path).status_code == 403
    assert manager.delete(segment_path).status_code == 204


# --- documentation pages -------------------------------------------------------------------

CDN = re.compile(r"https?://(?!localhost|127\.0\.0\.1|testserver)[^\"'\s>]+", re.IGNORECASE)
ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+\.(?:js|css|png|ico))["']""")


def _asset_urls(html: str) -> list[str]:
    urls = ASSET.findall(html)
    urls += re.findall(r"""["']([^"'\s]+/drf_spectacular_sidecar/[^"'\s]+)["']""", html)
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "bundle"),
    [
        ("/api/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ],
)
def test_documentation_pages_use_local_assets(client, settings, url, bundle):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']([^\"']+)", html)
    assert not CDN.findall(" ".join(scripts + _asset_urls(html))), html
    assert settings.STATIC_URL.strip("/") + "/" + bundle in html
    assert finders.find(bundle), f"{bundle} is not among the static files"
    for asset in _asset_urls(html):
        assert asset.startswith("/"), f"{url} references a non-local asset {asset}"
        relative = asset.split("?", 1)[0].removeprefix("/" + settings.STATIC_URL.strip("/") + "/")
        if relative != asset.split("?", 1)[0]:
            assert finders.find(relative), f"{url} references a missing static file {asset}"


@pytest.mark.django_db
def test_schema_endpoint_serves_the_schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert DETAIL_TEMPLATE in document["paths"]
    assert set(operations_by_id(document)) >= set(SEGMENT_OPERATION_IDS)
