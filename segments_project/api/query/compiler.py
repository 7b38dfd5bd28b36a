"""Compilation of a parsed `q` query into a Django `Q` object.

Semantics per field kind:

- plain columns (STRING, INTEGER, NUMBER, BOOLEAN, DATETIME, ENUM): values are converted
  by kind (see `values.convert`); `null` and `missing` mean SQL NULL, `exists` NOT NULL.
  Strings compare by code point on every database.
- LOCALIZED (`name.en`): the language key's value compared as a string.
- JSON (`mixins.a.b`): untyped. A bare value matches the JSON string with that text, and
  also the JSON number when it is a number (at most 15 significant digits) and the JSON
  boolean when it is `true`/`false`; a quoted value matches only the string. Comparisons
  are numeric for a bare number, else between strings. Regexes only match strings.
- `null` holds when the column is NULL, the key is absent or holds JSON null; `exists`
  when the key is present (even holding null); `missing` when it is absent.
- OBJECTS (`addresses.country`): the condition holds when it holds for the member of any
  one object of the array, the member compared as a JSON member is (so a range or
  `(a,b)` is met by one object). A member that is itself an array (`addresses.tags`)
  matches when any element does; `null`, `exists` and `missing` are about the member of
  some object. No object (an empty array), no match. On PostgreSQL an exact value or
  `(a,b)` becomes jsonb containment (`addresses @> '[{"country":"DE"}]'`), which a GIN
  index serves; elsewhere, and for other conditions, an EXISTS over the elements.

Nothing here raises anything but ValidationFailed, whatever the text; and the compiled
filters cannot fail in PostgreSQL or SQLite (no casts of unchecked text, checked regexes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from django.db.models import Expression, F, Q
from django.db.models import Value as SqlValue
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    Lookup,
)
from django.db.models.lookups import Regex as RegexLookup
from django.utils import timezone

from segments_project.errors import ValidationFailed

from . import parser as nodes
from . import relative
from .expressions import (
    ArrayElement,
    BinaryCollate,
    JsonArrayAny,
    JsonNumber,
    JsonText,
    JsonType,
    NumericLiteral,
    VendorPattern,
)
from .fields import KEYED_KINDS, FieldKind, FieldSpec, ResolvedField, resolve_field
from .lexer import relabelled, syntax_error
from .regex import check_pattern
from .values import convert, json_boolean, json_number

MAX_QUERY_LENGTH = 2000

_T = TypeVar("_T")

_COMPARISONS: dict[str, Callable[[Expression, object], Lookup]] = {
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
    "<": LessThan,
    "<=": LessThanOrEqual,
}
_LOOKUP_NAMES = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
_COMPARABLE = {
    FieldKind.STRING,
    FieldKind.INTEGER,
    FieldKind.NUMBER,
    FieldKind.DATETIME,
    FieldKind.LOCALIZED,
    FieldKind.JSON,
    FieldKind.OBJECTS,
}
_REGEX_KINDS = {
    FieldKind.STRING,
    FieldKind.ENUM,
    FieldKind.LOCALIZED,
    FieldKind.JSON,
    FieldKind.OBJECTS,
}
#: Kinds whose values are compared as JSON of any type (see the module docstring).
_UNTYPED = {FieldKind.JSON, FieldKind.OBJECTS}


def compile_query(
    text: str | None,
    fields: Mapping[str, FieldSpec],
    *,
    now: datetime | None = None,
    param: str = "q",
) -> Q:
    """The filter `text` describes over the whitelisted `fields`; `Q()` when it is blank.

    Conditions are ANDed. Relative dates (`"-30d"`, see `relative`) are resolved against
    `now` (default: the current time). Raises ValidationFailed (details field `param`, "q"
    for list queries, "criteria.q" for a segment's rule), and no other exception, for text
    over MAX_QUERY_LENGTH, outside the grammar, naming unknown fields or holding values the
    field cannot take.
    """
    if text is None:
        return Q()
    try:
        if len(text) > MAX_QUERY_LENGTH:
            raise syntax_error(
                f"query is {len(text)} characters long, the maximum is {MAX_QUERY_LENGTH}",
                MAX_QUERY_LENGTH + 1,
            )
        at = now or timezone.now()
        return Q(*(_condition(condition, fields, at) for condition in nodes.parse(text)))
    except ValidationFailed as error:
        raise error if param == "q" else relabelled(error, param) from None


def _condition(condition: nodes.Condition, fields: Mapping[str, FieldSpec], now: datetime) -> Q:
    field = resolve_field(condition.field, fields, condition.pos)
    _check_applicable(field, condition)
    condition = nodes.Condition(
        condition.field, relative.resolve(condition.expr, field.spec.kind, now), condition.pos
    )
    if field.spec.kind is FieldKind.OBJECTS:
        return _any_object(field, condition.expr)
    if field.spec.kind in KEYED_KINDS:
        return _keyed(field, condition.expr)
    return _plain(field, condition.expr)


def _check_applicable(field: ResolvedField, condition: nodes.Condition) -> None:
    kind = field.spec.kind
    expr = condition.expr
    if isinstance(expr, nodes.Compare | nodes.Range) and kind not in _COMPARABLE:
        raise syntax_error(
            f"'{field.name}' is {kind.value}: comparisons and ranges are not supported",
            condition.pos,
        )
    if isinstance(expr, nodes.Regex) and kind not in _REGEX_KINDS:
        raise syntax_error(
            f"'{field.name}' is {kind.value}: regex matching is not supported", condition.pos
        )


def _plain(field: ResolvedField, expr: nodes.Expr) -> Q:
    path = field.spec.path
    match expr:
        case nodes.IsNull() | nodes.Missing():
            return Q(**{f"{path}__isnull": True})
        case nodes.Exists():
            return Q(**{f"{path}__isnull": False})
        case nodes.Exact(value):
            return Q(**{path: convert(field, value)})
        case nodes.AnyOf(values):
            return Q(**{f"{path}__in": [convert(field, value) for value in values]})
        case nodes.Compare(op, value):
            if field.spec.kind is FieldKind.STRING:
                return Q(_COMPARISONS[op](BinaryCollate(path), SqlValue(value.text)))
            return Q(**{f"{path}__{_LOOKUP_NAMES[op]}": convert(field, value)})
        case nodes.Range(bounds):
            return Q(*(_plain(field, bound) for bound in bounds))
        case nodes.Regex(pattern, pos):
            return Q(RegexLookup(F(path), VendorPattern(check_pattern(pattern, pos))))
    raise AssertionError(f"unhandled expression {expr!r}")  # pragma: no cover


def _any_object(field: ResolvedField, expr: nodes.Expr) -> Q:
    """`expr` on the member `field.keys[0]` of any object of the array column."""
    (member,) = field.keys
    element = ArrayElement(0)
    on_element = isinstance(expr, nodes.IsNull | nodes.Exists | nodes.Missing)
    if member in field.spec.list_members and not on_element:
        item = ArrayElement(1)
        condition = Q(JsonArrayAny(element, (member,), _keyed(field, expr, item, ()), depth=1))
        contains = [{member: [value]} for value in _json_values(field, expr)]
    else:
        condition = _keyed(field, expr, element, (member,))
        contains = [{member: value} for value in _json_values(field, expr)]
    return Q(JsonArrayAny(field.spec.path, (), condition, depth=0, contains=contains or None))


def _json_values(field: ResolvedField, expr: nodes.Expr) -> list[object]:
    """The JSON values an exact or any-of condition matches (as `_json_any_of` does), for a
    containment test; empty for other conditions."""
    match expr:
        case nodes.Exact(value):
            values = [value]
        case nodes.AnyOf(values):
            pass
        case _:
            return []
    matches: list[object] = []
    for value in values:
        matches.append(value.text)
        number = _json_number(field, value)
        if number is not None:
            matches.append(int(number) if number == number.to_integral_value() else float(number))
        boolean = json_boolean(value.text)
        if boolean is not None and not value.quoted:
            matches.append(boolean == "true")
    return _unique(matches)


def _keyed(
    field: ResolvedField,
    expr: nodes.Expr,
    column: str | Expression | None = None,
    keys: tuple[str, ...] | None = None,
) -> Q:
    """`expr` on the JSON value at `keys` in `column` (by default the field's own)."""
    column = field.spec.path if column is None else column
    keys = field.keys if keys is None else keys
    match expr:
        case nodes.IsNull():
            json_type = JsonType(column, keys)
            return Q(IsNull(json_type, True)) | Q(Exact(json_type, SqlValue("null")))
        case nodes.Exists():
            return Q(IsNull(JsonType(column, keys), False))
        case nodes.Missing():
            return Q(IsNull(JsonType(column, keys), True))
        case nodes.Exact(value):
            return _json_any_of(field, [value], column, keys)
        case nodes.AnyOf(values):
            return _json_any_of(field, values, column, keys)
        case nodes.Compare(op, value):
            number = _json_number(field, value)
            if number is not None:
                return Q(_COMPARISONS[op](JsonNumber(column, keys), NumericLiteral(number)))
            text = BinaryCollate(JsonText(column, keys))
            return Q(_COMPARISONS[op](text, SqlValue(value.text)))
        case nodes.Range(bounds):
            return Q(*(_keyed(field, bound, column, keys) for bound in bounds))
        case nodes.Regex(pattern, pos):
            pattern_sql = VendorPattern(check_pattern(pattern, pos))
            return Q(RegexLookup(JsonText(column, keys), pattern_sql))
    raise AssertionError(f"unhandled expression {expr!r}")  # pragma: no cover


def _json_any_of(
    field: ResolvedField,
    values: Iterable[nodes.Value],
    column: str | Expression,
    keys: tuple[str, ...],
) -> Q:
    """Match any of `values`, each as a string and, when bare, as a number or boolean.

    Groups the values into one IN per JSON type, so long lists stay shallow SQL.
    """
    texts: list[str] = []
    numbers: list[NumericLiteral] = []
    booleans: list[str] = []
    for value in values:
        texts.append(value.text)
        number = _json_number(field, value)
        if number is not None:
            numbers.append(NumericLiteral(number))
        boolean = json_boolean(value.text)
        if boolean is not None and not value.quoted and field.spec.kind in _UNTYPED:
            booleans.append(boolean)
    matches = Q(In(JsonText(column, keys), _unique(texts)))
    if numbers:
        matches |= Q(In(JsonNumber(column, keys), _unique(numbers)))
    if booleans:
        matches |= Q(In(JsonType(column, keys), _unique(booleans)))
    return matches


def _json_number(field: ResolvedField, value: nodes.Value) -> Decimal | None:
    if value.quoted or field.spec.kind not in _UNTYPED:
        return None
    return json_number(value.text)


def _unique(items: list[_T]) -> list[_T]:
    return list(dict.fromkeys(items))
