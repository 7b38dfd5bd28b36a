"""The `fields` parameter: project returned objects onto the named (dotted) paths."""

from __future__ import annotations

from typing import Any

from segments_project.errors import ErrorDetail, ValidationFailed

MAX_FIELDS_LENGTH = 1000


def parse_fields(raw: str | None) -> list[tuple[str, ...]] | None:
    if raw is None or not raw.strip():
        return None
    if len(raw) > MAX_FIELDS_LENGTH:
        message = f"fields is longer than {MAX_FIELDS_LENGTH} characters."
        raise ValidationFailed(message, details=[ErrorDetail("fields", "invalid", message)])
    paths = []
    for part in raw.split(","):
        segments = tuple(segment for segment in part.strip().split(".") if segment)
        if segments:
            paths.append(segments)
    return paths or None


def project(document: dict[str, Any], paths: list[tuple[str, ...]] | None) -> dict[str, Any]:
    """The document reduced to the given paths; unknown paths are simply absent."""
    if paths is None:
        return document
    result: dict[str, Any] = {}
    for path in paths:
        source: Any = document
        for segment in path:
            if not isinstance(source, dict) or segment not in source:
                break
            source = source[segment]
        else:
            target = result
            for segment in path[:-1]:
                target = target.setdefault(segment, {})
            target[path[-1]] = source
    return result
