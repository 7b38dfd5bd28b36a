"""PATCH bodies: RFC 6902 JSON Patch arrays and RFC 7396 merge-patch objects.

Both produce a new document; the resource's service then validates it as a whole, so a
patch that leads to an invalid resource is refused and changes nothing.

Each resource names its read-only paths (JSON Pointers such as `/id` and
`/metadata/createdAt`). A JSON Patch operation that writes one of them, or that leaves a
different value at one through a parent it writes, is a 400 naming the path: the write
would otherwise be ignored in silence. A merge patch is a partial document and, like a PUT
body, may carry read-only members back; they are ignored.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection
from typing import Any

import jsonpatch
import jsonpointer

from segments_project.errors import ErrorDetail, ValidationFailed

ALLOWED_OPS = {"add", "remove", "replace", "copy", "move", "test"}
# Longer values are cut in messages: a failed test may compare whole objects.
MAX_VALUE_IN_MESSAGE = 120
_MISSING = object()


def _refuse(message: str, field: str = "body", type: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, details=[ErrorDetail(field, type, message)])


def _is_pointer(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        jsonpointer.JsonPointer(value)
    except jsonpointer.JsonPointerException:
        return False
    return True


def _field_name(pointer: str) -> str:
    """`/metadata/createdAt` as error details name fields: `metadata.createdAt`."""
    return ".".join(jsonpointer.JsonPointer(pointer).parts)


def _within(path: str, pointer: str) -> bool:
    return path == pointer or path.startswith(pointer + "/")


def _read_only_refusal(pointer: str, how: str) -> ValidationFailed:
    return _refuse(f"{pointer} is read-only: {how}.", _field_name(pointer), "read_only")


def _written_paths(operation: dict[str, Any]) -> list[str]:
    """The paths an operation changes: its `path`, and the `from` a move removes."""
    if operation["op"] == "test":
        return []
    return [operation["path"], *([operation["from"]] if operation["op"] == "move" else [])]


def _check_shape(index: int, operation: Any, read_only: Collection[str]) -> None:
    if not isinstance(operation, dict):
        raise _refuse(f"Patch operation {index} must be an object.", f"[{index}]")
    op = operation.get("op")
    if op not in ALLOWED_OPS:
        raise _refuse(f"Patch operation {index} has no valid op.", f"[{index}].op")
    if not _is_pointer(operation.get("path")):
        raise _refuse(
            f"Patch operation {index} needs a path: a JSON Pointer such as /name.",
            f"[{index}].path",
        )
    if op in {"add", "replace", "test"} and "value" not in operation:
        raise _refuse(f"Patch operation {index} needs a value.", f"[{index}].value")
    if op in {"copy", "move"} and not _is_pointer(operation.get("from")):
        raise _refuse(
            f"Patch operation {index} needs a from: a JSON Pointer such as /name.",
            f"[{index}].from",
        )
    for path in _written_paths(operation):
        for pointer in read_only:
            if _within(path, pointer):
                raise _read_only_refusal(
                    pointer, f"patch operation {index} ({op} {path}) cannot change it"
                )


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_VALUE_IN_MESSAGE:
        return text[: MAX_VALUE_IN_MESSAGE - 3] + "..."
    return text


def _failure(index: int, operation: dict[str, Any], document: Any) -> ValidationFailed:
    """What went wrong with one operation, in JSON terms (never the library's Python reprs)."""
    op, path = operation["op"], operation["path"]
    field = f"[{index}].path"
    if op == "test":
        actual = jsonpointer.resolve_pointer(document, path, _MISSING)
        if actual is _MISSING:
            return _refuse(
                f"Patch operation {index} (test {path}) failed: {path} does not exist.", field
            )
        return _refuse(
            f"Patch operation {index} (test {path}) failed: the value is {_shown(actual)}, "
            f"not {_shown(operation['value'])}.",
            field,
        )
    return _refuse(
        f"Patch operation {index} ({op} {path}) cannot be applied: the path does not exist "
        "in the document or does not fit its structure.",
        field,
    )


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


def json_patch(
    document: dict[str, Any], operations: list[Any], *, read_only: Collection[str]
) -> dict[str, Any]:
    """The document after the operations, or a 400 naming the first one that cannot apply."""
    for index, operation in enumerate(operations):
        _check_shape(index, operation, read_only)
    result = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        lenient = (
            _lenient(result, operation) if operation["op"] in {"add", "replace"} else operation
        )
        try:
            result = jsonpatch.apply_patch(result, [lenient])
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            TypeError,
            ValueError,
            KeyError,
            IndexError,
        ) as exc:
            raise _failure(index, operation, result) from exc
    _check_read_only_values(document, result, read_only)
    return result


def _check_read_only_values(
    before: dict[str, Any], after: dict[str, Any], read_only: Collection[str]
) -> None:
    """A parent written whole (`replace /metadata`) may leave a read-only member out, which
    changes nothing, but not give it another value."""
    for pointer in read_only:
        value = jsonpointer.resolve_pointer(after, pointer, _MISSING)
        if value is not _MISSING and value != jsonpointer.resolve_pointer(
            before, pointer, _MISSING
        ):
            raise _read_only_refusal(pointer, "the patch cannot change it")


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


def apply_patch(
    document: dict[str, Any], body: Any, *, read_only: Collection[str]
) -> dict[str, Any]:
    """The document after the patch, told apart by the body: array = JSON Patch, object = merge.

    `read_only` are the resource's read-only JSON Pointers, which a JSON Patch may not write.
    """
    if isinstance(body, list):
        return json_patch(document, body, read_only=read_only)
    if isinstance(body, dict):
        return merge_patch(document, body)
    raise _refuse("A PATCH body is a JSON Patch array or a merge-patch object.")
