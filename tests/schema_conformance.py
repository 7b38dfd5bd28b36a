"""Checks real API responses against the service's generated OpenAPI schema.

`assert_conforms(method, path, response)` finds the documented operation of the request
(through Django's URL resolver), fails when the status code is not documented, and validates
a JSON body against the documented response schema with jsonschema.

OpenAPI 3.0 schema objects are close to JSON Schema draft 4; the differences handled here:

* `nullable: true` becomes `anyOf: [<schema>, {"type": "null"}]`;
* `$ref: "#/components/..."` is resolved against the whole schema document, registered
  in a `referencing.Registry` under `DOCUMENT_URI`;
* `writeOnly` properties are never required in a response;
* `readOnly`, `format`, `discriminator`, `example` and the like are not asserted.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterator
from typing import Any

from django.contrib.admindocs.views import simplify_regex
from django.urls import Resolver404, resolve
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

DOCUMENT_URI = "urn:service:openapi"

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?(\w+)>")
_TEMPLATE_PARAMETER = re.compile(r"\{[^}/]*\}")
_MAX_ERRORS = 5
_MAX_BODY_CHARS = 600


@functools.cache
def openapi_schema() -> dict[str, Any]:
    """The service's schema as drf-spectacular generates it, once per process."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@functools.cache
def _json_schema_document() -> dict[str, Any]:
    """The OpenAPI document rewritten into JSON Schema draft 4 (nullable, refs, writeOnly)."""
    return _to_json_schema(openapi_schema())


@functools.cache
def _registry() -> Registry:
    resource = Resource.from_contents(_json_schema_document(), default_specification=DRAFT4)
    return Registry().with_resource(DOCUMENT_URI, resource)


@functools.cache
def _templates() -> dict[str, str]:
    """Schema path keys by their shape with parameter names erased (`/a/{}/b`)."""
    return {_shape(key): key for key in openapi_schema().get("paths", {})}


def _shape(template: str) -> str:
    return _TEMPLATE_PARAMETER.sub("{}", template)


def _to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _to_json_schema(value) for key, value in node.items()}
    ref = converted.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        converted["$ref"] = DOCUMENT_URI + ref
    properties = converted.get("properties")
    required = converted.get("required")
    if isinstance(properties, dict) and isinstance(required, list):
        converted["required"] = [
            name
            for name in required
            if not (isinstance(properties.get(name), dict) and properties[name].get("writeOnly"))
        ]
    if converted.get("nullable") is True:
        del converted["nullable"]
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def path_template(path: str) -> str | None:
    """The schema's path key for a request path (query ignored), or None when undocumented."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    try:
        match = resolve(bare)
    except Resolver404:
        return None
    route = match.route or ""
    template = _ROUTE_PARAMETER.sub(r"{\1}", simplify_regex(route))
    if not template.startswith("/"):
        template = "/" + template
    paths = openapi_schema().get("paths", {})
    if template in paths:
        return template
    # drf-spectacular may rename path parameters (e.g. pk -> id); compare shapes only.
    return _templates().get(_shape(template))


def _documented_response(responses: dict[str, Any], status: int) -> dict[str, Any] | None:
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in responses:
            return responses[key]
    return None


def _media_type(response: Any) -> str | None:
    headers = getattr(response, "headers", None)
    value = None
    if headers is not None:
        value = headers.get("Content-Type")
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def _media_type_matches(actual: str, documented: str) -> bool:
    documented = documented.split(";", 1)[0].strip().lower()
    if documented in ("*/*", actual):
        return True
    kind, _, subtype = documented.partition("/")
    return subtype == "*" and actual.split("/", 1)[0] == kind


def _is_json(media_type: str) -> bool:
    media_type = media_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _body_bytes(response: Any) -> bytes:
    """The body as the schema describes it: decoded when it was sent gzip-compressed."""
    content = getattr(response, "content", b"")
    if content is None:
        return b""
    if isinstance(content, str):
        return content.encode()
    if _gzipped(response):
        return gzip.decompress(content)
    return bytes(content)


def _gzipped(response: Any) -> bool:
    get = getattr(response, "get", None)
    return callable(get) and (get("Content-Encoding") or "").strip().lower() == "gzip"


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    return text if len(text) <= _MAX_BODY_CHARS else text[:_MAX_BODY_CHARS] + "…"


def _parse_json(response: Any, body: bytes) -> Any:
    json_method = getattr(response, "json", None)
    if callable(json_method) and not _gzipped(response):
        try:
            return json_method()
        except ValueError:
            pass  # e.g. Django refusing a non-application/json Content-Type; parse the bytes.
    return json.loads(body)


def _schema_errors(schema: dict[str, Any], instance: Any) -> Iterator[ValidationError]:
    validator = Draft4Validator(schema, registry=_registry())
    return validator.iter_errors(instance)


def _describe(error: ValidationError) -> str:
    location = error.json_path
    schema_path = "/".join(str(part) for part in error.absolute_schema_path)
    lines = [f"  at {location}: {error.message}", f"    (schema: {schema_path})"]
    # anyOf/oneOf (e.g. nullable) hide the useful message in their context.
    for sub in sorted(error.context or [], key=relevance, reverse=True)[:_MAX_ERRORS]:
        lines.append(f"    - at {sub.json_path}: {sub.message}")
    return "\n".join(lines)


def assert_conforms(method: str, path: str, response: Any) -> None:
    """Fails when the response's status or body is not what the schema documents."""
    found = _documented_operation(method, path)
    if found is None:
        return
    where, operation = found
    status = int(response.status_code)
    answered = f"{where} answered {status}"
    documented = _documented_status(operation, status, answered, response)
    if getattr(response, "streaming", False):
        return
    body = _body_bytes(response)
    content = documented.get("content") or {}
    if not _body_expected(answered, status, content, body):
        return
    actual_type = _media_type(response)
    if actual_type is not None and body:
        assert any(_media_type_matches(actual_type, documented) for documented in content), (
            f"{answered} with Content-Type {actual_type}, documented: {sorted(content)}"
        )
    media = _json_media_type(content, actual_type)
    if media is None:
        return
    schema = content[media].get("schema")
    if schema is not None:
        _validate_body(answered, operation, media, schema, response, body)


def _documented_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The request's name (`GET /segments/{id}`) and its operation in the schema; None when
    the schema does not document the path or the method (nothing is checked then)."""
    template = path_template(path)
    if template is None:
        return None
    operation = openapi_schema()["paths"][template].get(method.lower())
    if not isinstance(operation, dict) or method.lower() not in HTTP_METHODS:
        return None
    return f"{method.upper()} {template}", operation


def _documented_status(
    operation: dict[str, Any], status: int, answered: str, response: Any
) -> dict[str, Any]:
    """The operation's documented response for `status`; fails when there is none."""
    responses = operation.get("responses", {})
    documented = _documented_response(responses, status)
    assert documented is not None, (
        f"{answered}, documented: {sorted(responses)} "
        f"(operationId {operation.get('operationId')}); body: "
        f"{_excerpt(_body_bytes(response))}"
    )
    return documented


def _body_expected(answered: str, status: int, content: dict[str, Any], body: bytes) -> bool:
    """Whether the documented response has a body to check; fails when a 204, or a response
    documented without content, has a body."""
    if status == 204:
        assert not body, f"{answered} with a body: {_excerpt(body)}"
        return False
    if not content:
        assert not body, (
            f"{answered} with a body, but the documented response has no content: {_excerpt(body)}"
        )
        return False
    return True


def _json_media_type(content: dict[str, Any], actual_type: str | None) -> str | None:
    """The documented JSON media type to validate the body against: the response's own
    when documented, else the first JSON one; None when that is not JSON."""
    json_types = [media for media in content if _is_json(media)]
    if not json_types:
        return None
    media = actual_type if actual_type in content else json_types[0]
    return media if _is_json(media) else None


def _validate_body(
    answered: str,
    operation: dict[str, Any],
    media: str,
    schema: dict[str, Any],
    response: Any,
    body: bytes,
) -> None:
    """Fails when the body is empty, is not JSON or does not match the documented schema,
    showing the most relevant schema errors first."""
    assert body, f"{answered} with an empty body, documented: {media}"
    try:
        instance = _parse_json(response, body)
    except ValueError as exc:
        raise AssertionError(
            f"{answered} with a body that is not JSON ({exc}): {_excerpt(body)}"
        ) from None

    errors = list(_schema_errors(_to_json_schema(schema), instance))
    if errors:
        first = best_match(errors)
        errors = [first, *(error for error in errors if error is not first)]
        details = "\n".join(_describe(error) for error in errors[:_MAX_ERRORS])
        more = f"\n  … and {len(errors) - _MAX_ERRORS} more" if len(errors) > _MAX_ERRORS else ""
        raise AssertionError(
            f"{answered} with a body that does not match the schema "
            f"(operationId {operation.get('operationId')}):\n{details}{more}\n"
            f"body: {_excerpt(body)}"
        )
