"""Request body parsers: strict UTF-8 JSON, a size limit and a nesting limit."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

MAX_NESTING_DEPTH = 32


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _nesting_depth(value: Any) -> int:
    """Depth of nested arrays/objects, computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def read_json_body(stream: Any, meta: dict[str, Any]) -> Any:
    """Reads and decodes a JSON body within the configured size and nesting limits."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if limit is not None and declared > limit:
        raise RequestTooLarge()
    raw = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(raw) > limit:
        raise RequestTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ParseError(f"JSON nested deeper than {MAX_NESTING_DEPTH} levels.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    if _nesting_depth(data) > MAX_NESTING_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_NESTING_DEPTH} levels.")
    return data


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        return read_json_body(stream, meta)


class JsonPatchParser(StrictJSONParser):
    """RFC 6902 bodies, `application/json-patch+json`."""

    media_type = "application/json-patch+json"


class MergePatchParser(StrictJSONParser):
    """RFC 7396 bodies, `application/merge-patch+json`."""

    media_type = "application/merge-patch+json"
