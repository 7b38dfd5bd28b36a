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


def has_unstorable_text(text: str) -> bool:
    """NUL and lone surrogates: valid JSON escapes, but no database can store them."""
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def _check_tree(value: Any) -> None:
    """Refuses nesting deeper than the limit and text no database can store, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_NESTING_DEPTH:
                raise ParseError(f"JSON nested deeper than {MAX_NESTING_DEPTH} levels.")
            children = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in children:
                if isinstance(key, str) and has_unstorable_text(key):
                    raise ParseError("JSON text with a NUL character or a lone surrogate.")
                stack.append((child, depth + 1))
        elif isinstance(node, str) and has_unstorable_text(node):
            raise ParseError("JSON text with a NUL character or a lone surrogate.")


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
    _check_tree(data)
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
