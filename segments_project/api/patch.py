"""PATCH bodies: RFC 6902 JSON Patch arrays and RFC 7396 merge-patch objects.

Both produce a new document; the resource's service then validates it as a whole, so a
patch that leads to an invalid resource is refused and changes nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from segments_project.errors import ErrorDetail, ValidationFailed

ALLOWED_OPS = {"add", "remove", "replace", "copy", "move", "test"}


def _refuse(message: str, field: str = "body") -> ValidationFailed:
    return ValidationFailed(message, details=[ErrorDetail(field, "invalid", message)])


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(document: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise _refuse(f"Patch operation {index} must be an object.", f"[{index}]")
        if operation.get("op") not in ALLOWED_OPS:
            raise _refuse(f"Patch operation {index} has no valid op.", f"[{index}].op")
        if not isinstance(operation.get("path"), str):
            raise _refuse(f"Patch operation {index} needs a path.", f"[{index}].path")
        if operation["op"] in {"add", "replace", "test"} and "value" not in operation:
            raise _refuse(f"Patch operation {index} needs a value.", f"[{index}].value")
    result = copy.deepcopy(document)
    for operation in operations:
        if operation["op"] in {"add", "replace"}:
            operation = _lenient(result, operation)
        try:
            result = jsonpatch.apply_patch(result, [operation])
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise _refuse(f"The patch cannot be applied: {exc}") from exc
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise _refuse(f"The patch cannot be applied: {exc}") from exc
    return result


def _lenient(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """Creates missing parent objects, and turns a replace of a missing member into an add.

    Clients send `replace` for optional fields and mixin paths that were never set; the
    vendor accepts that, so it is treated like `add`.
    """
    try:
        parts = jsonpointer.JsonPointer(operation["path"]).parts
    except jsonpointer.JsonPointerException:
        return operation
    parent: Any = document
    for part in parts[:-1]:
        if isinstance(parent, dict):
            parent = parent.setdefault(part, {})
        else:
            return operation
    if (
        operation["op"] == "replace"
        and parts
        and isinstance(parent, dict)
        and parts[-1] not in parent
    ):
        return {**operation, "op": "add"}
    return operation


def apply_patch(document: dict[str, Any], body: Any) -> dict[str, Any]:
    """The document after the patch, told apart by the body: array = JSON Patch, object = merge."""
    if isinstance(body, list):
        return json_patch(document, body)
    if isinstance(body, dict):
        return merge_patch(document, body)
    raise _refuse("A PATCH body is a JSON Patch array or a merge-patch object.")
