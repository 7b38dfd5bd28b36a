"""Reading an error body of any API family (`segments_project/api/error_shapes.py`)."""

from __future__ import annotations

import re
from typing import Any

_FIELD_PREFIX = re.compile(r"^([\w.\[\]-]+): (.*)$", re.DOTALL)


def error_status(body: dict[str, Any]) -> int:
    """The HTTP status an error body states: `status` in the coupon family, else `code`."""
    return body["status"] if isinstance(body.get("status"), int) else body["code"]


def error_details(body: dict[str, Any]) -> list[dict[str, str]]:
    """The `details` as objects; the category family's strings (`field: message`, or a bare
    message) become `{"field": ..., "message": ...}`."""
    found = []
    for detail in body.get("details", []):
        if isinstance(detail, dict):
            found.append(detail)
            continue
        match = _FIELD_PREFIX.match(detail)
        found.append(
            {"field": match.group(1), "message": match.group(2)} if match else {"message": detail}
        )
    return found
