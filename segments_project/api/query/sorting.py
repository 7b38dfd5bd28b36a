"""Parsing of the `sort` parameter: `field[:asc|desc](,field[:asc|desc])*`."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Expression, F
from django.db.models.expressions import OrderBy

from .compiler import MAX_QUERY_LENGTH
from .expressions import BinaryCollate, JsonText
from .fields import FieldKind, FieldSpec, ResolvedField, resolve_field
from .lexer import WHITESPACE, syntax_error

_DIRECTIONS = ("asc", "desc")


def compile_sort(text: str | None, fields: Mapping[str, FieldSpec]) -> list[OrderBy]:
    """The ordering `text` asks for, in order; an empty list when it is blank.

    Directions are case-insensitive and default to ascending. NULLs sort as larger than
    any value (last ascending, first descending) and strings by code point, on every
    database. Raises ValidationFailed (details field "sort"), and nothing else, for unknown,
    unsortable, JSON, array or repeated fields, empty items and unknown directions.
    """
    if text is None:
        return []
    if len(text) > MAX_QUERY_LENGTH:
        raise syntax_error(
            f"sort is {len(text)} characters long, the maximum is {MAX_QUERY_LENGTH}",
            MAX_QUERY_LENGTH + 1,
            param="sort",
        )
    if all(char in WHITESPACE for char in text):
        return []
    orderings: list[OrderBy] = []
    seen: set[str] = set()
    for item, pos in _items(text):
        name, colon, direction = item.partition(":")
        direction_key = direction.lower() if colon else "asc"
        if direction_key not in _DIRECTIONS:
            raise syntax_error(
                f"sort direction must be 'asc' or 'desc', not '{direction}'",
                pos + len(name) + 1,
                param="sort",
            )
        field = resolve_field(name, fields, pos, param="sort")
        if name in seen:
            raise syntax_error(f"'{name}' is sorted by twice", pos, param="sort")
        seen.add(name)
        expression = _sort_expression(field, pos)
        if direction_key == "asc":
            orderings.append(expression.asc(nulls_last=True))
        else:
            orderings.append(expression.desc(nulls_first=True))
    return orderings


def _items(text: str) -> list[tuple[str, int]]:
    """The comma-separated items of `text` without surrounding whitespace, with 1-based start."""
    items: list[tuple[str, int]] = []
    start = 0
    for end in [*(i for i, char in enumerate(text) if char == ","), len(text)]:
        raw = text[start:end]
        stripped = raw.lstrip("".join(WHITESPACE))
        offset = start + len(raw) - len(stripped)
        stripped = stripped.rstrip("".join(WHITESPACE))
        if not stripped:
            raise syntax_error("empty sort item", offset + 1, param="sort")
        items.append((stripped, offset + 1))
        start = end + 1
    return items


def _sort_expression(field: ResolvedField, pos: int) -> Expression:
    spec = field.spec
    if not spec.sortable or spec.kind in (FieldKind.JSON, FieldKind.OBJECTS):
        raise syntax_error(f"cannot sort by '{field.name}'", pos, param="sort")
    if spec.kind is FieldKind.LOCALIZED:
        return BinaryCollate(JsonText(spec.path, field.keys))
    if spec.kind in (FieldKind.STRING, FieldKind.ENUM):
        return BinaryCollate(spec.path)
    return F(spec.path)
