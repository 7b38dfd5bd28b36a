"""The `fields` parameter: project returned objects onto the named (dotted) paths."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from segments_project.errors import ErrorDetail, ValidationFailed

from .documented_fields import is_documented, response_schema

MAX_FIELDS_LENGTH = 1000


def requested_fields(request: HttpRequest) -> list[tuple[str, ...]] | None:
    """The request's `fields`, each name checked against the operation's documented answer:
    a name the answer never has is a 400 that names it (`documented_fields`)."""
    paths = parse_fields(request.GET.get("fields"))
    schema = response_schema(request) if paths else None
    if schema is None:
        return paths
    unknown = [".".join(path) for path in paths if not is_documented(schema, path)]
    if unknown:
        raise ValidationFailed(
            f"Unknown fields: {', '.join(unknown)}.",
            details=[
                ErrorDetail("fields", "invalid", f"unknown field: {name}") for name in unknown
            ],
        )
    return paths


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
