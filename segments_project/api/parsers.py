"""Request body parsers: strict UTF-8 JSON, a size limit and a nesting limit."""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

MAX_NESTING_DEPTH = 32


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


TOO_DEEP = f"JSON nested deeper than {MAX_NESTING_DEPTH} levels."
UNSTORABLE = "JSON text with a NUL character or a lone surrogate."


class UnstorableJSON(ValueError):
    """Well-formed JSON that no database column takes: nested deeper than the limit, text
    with NUL or a lone surrogate, or a number beyond a double (NaN, Infinity, 1e400)."""


def has_unstorable_text(text: str) -> bool:
    """NUL and lone surrogates: valid JSON escapes, but no database can store them."""
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def _check_tree(value: Any, depth: int) -> None:
    """Refuses nesting deeper than the limit and text no database can store, without recursion."""
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            if level > MAX_NESTING_DEPTH:
                raise UnstorableJSON(TOO_DEEP)
            children = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in children:
                if isinstance(key, str) and has_unstorable_text(key):
                    raise UnstorableJSON(UNSTORABLE)
                stack.append((child, level + 1))
        elif isinstance(node, str) and has_unstorable_text(node):
            raise UnstorableJSON(UNSTORABLE)


def _reject_constant(name: str) -> None:
    raise UnstorableJSON(f"{name} is not valid JSON.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnstorableJSON(f"The number {text[:40]} is too large.")
    return number


# One decoder for every call: `json.loads` with options builds a new one each time.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def decode_json(text: str, *, depth: int = 1) -> Any:
    """The value of JSON `text` that sits `depth` levels deep in a document (1: it is the
    document), or a ValueError: an `UnstorableJSON` with the reason when it is well-formed
    but cannot be stored (see there), a `json.JSONDecodeError` when it is not JSON.

    `text` must hold no character that is not valid UTF-8 (strictly decoded text holds none).
    """
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise UnstorableJSON(TOO_DEEP) from None
    # Raw NUL is refused by the decoder and lone surrogates cannot come from UTF-8: only a
    # \u escape spells them, and only as many brackets as levels nest that deep. Most
    # documents have neither, and skip the walk over every value.
    if "\\u" in text or text.count("{") + text.count("[") + depth > MAX_NESTING_DEPTH + 1:
        _check_tree(value, depth)
    return value


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
        return decode_json(text)
    except UnstorableJSON as exc:
        raise ParseError(str(exc)) from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc


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
