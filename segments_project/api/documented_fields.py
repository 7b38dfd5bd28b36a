"""Which names `fields` may use: those the operation's documented 200 response has.

The service's own OpenAPI schema (generated once per process, as `/api/schema/` serves it)
is the one list of what each operation answers, so `fields` is checked against it rather
than against a second list per view. A dotted name is walked through the response schema:
through arrays to their items, through `allOf`/`oneOf`/`anyOf` to any variant, and below a
map (`additionalProperties`, a localized field) or a free-form object any name is known.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.contrib.admindocs.views import simplify_regex
from django.http import HttpRequest

_ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?(\w+)>")
_TEMPLATE_PARAMETER = re.compile(r"\{[^}/]*\}")
_COMPOSITES = ("allOf", "oneOf", "anyOf")


@functools.cache
def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@functools.cache
def _templates_by_shape() -> dict[str, str]:
    return {_TEMPLATE_PARAMETER.sub("{}", key): key for key in _schema().get("paths", {})}


def _path_template(route: str) -> str | None:
    template = _ROUTE_PARAMETER.sub(r"{\1}", simplify_regex(route))
    template = template if template.startswith("/") else "/" + template
    if template in _schema().get("paths", {}):
        return template
    return _templates_by_shape().get(_TEMPLATE_PARAMETER.sub("{}", template))


def response_schema(request: HttpRequest) -> dict[str, Any] | None:
    """The JSON schema of the request's operation's 200 answer; None when undocumented."""
    match = getattr(request, "resolver_match", None)
    template = _path_template(match.route) if match is not None and match.route else None
    if template is None:
        return None
    operation = _schema()["paths"][template].get(request.method.lower(), {})
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = _schema()
    for part in ref[2:].split("/"):
        node = node[part]
    return _resolve(node)


def is_documented(schema: dict[str, Any], path: tuple[str, ...]) -> bool:
    """Whether the dotted `path` names a member of what `schema` describes."""
    schema = _resolve(schema)
    if any(is_documented(variant, path) for key in _COMPOSITES for variant in schema.get(key, ())):
        return True
    if "items" in schema:
        return is_documented(schema["items"], path)
    if not path:
        return True
    properties = schema.get("properties") or {}
    if path[0] in properties:
        return is_documented(properties[path[0]], path[1:])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return is_documented(extra, path[1:])
    if extra is True:
        return True
    # A free-form object (`type: object` and nothing more) or an untyped value (`{}`, a
    # mixin's value) may hold anything.
    composite = any(key in schema for key in _COMPOSITES)
    return not properties and not composite and schema.get("type") in (None, "object")
