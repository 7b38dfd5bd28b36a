"""JSON Patch and merge patch (`segments_project.api.patch`): read-only paths, and
messages that speak JSON, not Python."""

from __future__ import annotations

import pytest

from segments_project.api.patch import apply_patch
from segments_project.errors import ValidationFailed

CREATED = "2024-01-01T00:00:00.000Z"
DOCUMENT = {
    "id": "a",
    "name": {"en": "Chair"},
    "tags": ["x"],
    "metadata": {"version": 2, "createdAt": CREATED, "modifiedAt": CREATED},
}
READ_ONLY = frozenset({"/id", "/metadata/createdAt", "/metadata/modifiedAt"})


def _refusal(body) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        apply_patch(DOCUMENT, body, read_only=READ_ONLY)
    return refused.value


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ({"op": "replace", "path": "/id", "value": "a"}, "id"),
        ({"op": "add", "path": "/metadata/createdAt", "value": CREATED}, "metadata.createdAt"),
        ({"op": "remove", "path": "/metadata/modifiedAt"}, "metadata.modifiedAt"),
        ({"op": "move", "from": "/metadata/createdAt", "path": "/x"}, "metadata.createdAt"),
        ({"op": "copy", "from": "/name", "path": "/id"}, "id"),
        ({"op": "replace", "path": "/metadata", "value": {"createdAt": "x"}}, "metadata.createdAt"),
        ({"op": "replace", "path": "", "value": {**DOCUMENT, "id": "b"}}, "id"),
    ],
    ids=["same-value", "add", "remove", "move-from", "copy-to", "parent", "root"],
)
def test_a_json_patch_may_not_write_a_read_only_path(operation, field):
    refusal = _refusal([operation])

    assert [(detail.field, detail.type) for detail in refusal.details] == [(field, "read_only")]
    assert f"/{field.replace('.', '/')} is read-only" in refusal.message


def test_read_only_paths_may_be_tested_and_left_out_of_a_parent_written_whole():
    patched = apply_patch(
        DOCUMENT,
        [
            {"op": "test", "path": "/metadata/createdAt", "value": CREATED},
            {"op": "copy", "from": "/metadata/createdAt", "path": "/name/en"},
            {"op": "replace", "path": "/metadata", "value": {"version": 2}},
        ],
        read_only=READ_ONLY,
    )

    assert patched["metadata"] == {"version": 2}
    assert patched["name"] == {"en": CREATED}


def test_metadata_version_stays_writable():
    patched = apply_patch(
        DOCUMENT, [{"op": "replace", "path": "/metadata/version", "value": 3}], read_only=READ_ONLY
    )

    assert patched["metadata"]["version"] == 3


def test_a_merge_patch_may_carry_read_only_members_back_like_a_put_body():
    patched = apply_patch(
        DOCUMENT, {"id": "a", "metadata": {"createdAt": "x"}, "tags": None}, read_only=READ_ONLY
    )

    assert patched["metadata"]["createdAt"] == "x"  # ignored by the resource's write
    assert "tags" not in patched


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            {"op": "test", "path": "/metadata/version", "value": 1},
            "Patch operation 0 (test /metadata/version) failed: the value is 2, not 1.",
        ),
        (
            {"op": "test", "path": "/name", "value": "Chair"},
            'Patch operation 0 (test /name) failed: the value is {"en": "Chair"}, not "Chair".',
        ),
        (
            {"op": "test", "path": "/nothing", "value": 1},
            "Patch operation 0 (test /nothing) failed: /nothing does not exist.",
        ),
        (
            {"op": "remove", "path": "/nothing/there"},
            "Patch operation 0 (remove /nothing/there) cannot be applied: the path does not "
            "exist in the document or does not fit its structure.",
        ),
        (
            {"op": "add", "path": "/name/en/x", "value": 1},
            "Patch operation 0 (add /name/en/x) cannot be applied: the path does not exist in "
            "the document or does not fit its structure.",
        ),
    ],
    ids=["test-number", "test-object", "test-missing", "missing-path", "not-a-container"],
)
def test_a_failed_operation_is_explained_without_python_reprs(operation, message):
    refusal = _refusal([operation])

    assert refusal.message == message
    assert refusal.details[0].field == "[0].path"


def test_a_long_value_is_cut_in_the_message():
    refusal = _refusal([{"op": "test", "path": "/name", "value": "x" * 500}])

    assert len(refusal.message) < 250
    assert refusal.message.endswith("xxx....")  # the cut value, then the full stop


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ({"op": "add", "path": "name", "value": 1}, "[0].path"),
        ({"op": "add", "path": "/a~2", "value": 1}, "[0].path"),
        ({"op": "move", "path": "/x"}, "[0].from"),
        ({"op": "copy", "from": 3, "path": "/x"}, "[0].from"),
    ],
    ids=["no-leading-slash", "bad-escape", "move-without-from", "copy-from-a-number"],
)
def test_malformed_pointers_are_named(operation, field):
    assert _refusal([operation]).details[0].field == field
