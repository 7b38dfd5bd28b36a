"""SQL expressions that behave identically on PostgreSQL and SQLite.

Django's own JSON key lookups differ between the two (SQLite's JSON_EXTRACT turns `true`
into 1 and compares `"20"` and `20` differently from jsonb, PostgreSQL's `?` also finds
array elements), so the compiler builds on these typed extractions instead. Every value
they return is NULL unless the key holds a JSON value of the named type, so a comparison
never crosses JSON types and nothing is ever cast that could fail.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Expression,
    F,
    FloatField,
    JSONField,
    Q,
    TextField,
)

from .regex import PortablePattern

Compiled = tuple[str, tuple[Any, ...]]


def sqlite_json_path(keys: tuple[str, ...]) -> str:
    """The SQLite JSON path addressing object `keys` in order (keys are never integers)."""
    return "$" + "".join(f".{json.dumps(key)}" for key in keys)


class _JsonKey(Expression):
    """Base for expressions over the JSON value at `keys` inside the JSON column `column`."""

    def __init__(self, column: str | Expression, keys: tuple[str, ...]) -> None:
        super().__init__()
        self.column = F(column) if isinstance(column, str) else column
        self.keys = tuple(keys)

    def get_source_expressions(self) -> list[Expression]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        (self.column,) = exprs

    def _column(self, compiler: Any) -> Compiled:
        sql, params = compiler.compile(self.column)
        return sql, tuple(params)

    def as_sql(self, compiler: Any, connection: Any) -> Compiled:
        raise NotImplementedError(f"{type(self).__name__} supports PostgreSQL and SQLite only")


class JsonType(_JsonKey):
    """The JSON type at the key: string, number, true, false, null, object, array; NULL if absent.

    NULL also when the column is NULL or an intermediate value is not an object.
    """

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        value = f"({column} #> %s)"
        sql = (
            f"(CASE WHEN jsonb_typeof({value}) = 'boolean' THEN {value}::text "
            f"ELSE jsonb_typeof({value}) END)"
        )
        return sql, (*params, list(self.keys)) * 3

    def as_sqlite(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        json_type = f"JSON_TYPE({column}, %s)"
        sql = (
            f"(CASE {json_type} WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' "
            f"WHEN 'real' THEN 'number' ELSE {json_type} END)"
        )
        return sql, (*params, sqlite_json_path(self.keys)) * 2


class JsonText(_JsonKey):
    """The text of a JSON string at the key; NULL for any other type or an absent key."""

    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        sql = f"(CASE WHEN jsonb_typeof({column} #> %s) = 'string' THEN {column} #>> %s END)"
        return sql, (*params, list(self.keys)) * 2

    def as_sqlite(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        sql = f"(CASE WHEN JSON_TYPE({column}, %s) = 'text' THEN JSON_EXTRACT({column}, %s) END)"
        return sql, (*params, sqlite_json_path(self.keys)) * 2


class JsonNumber(_JsonKey):
    """The value of a JSON number at the key; NULL for any other type or an absent key."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        sql = (
            f"(CASE WHEN jsonb_typeof({column} #> %s) = 'number' "
            f"THEN ({column} #>> %s)::numeric END)"
        )
        return sql, (*params, list(self.keys)) * 2

    def as_sqlite(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        sql = (
            f"(CASE WHEN JSON_TYPE({column}, %s) IN ('integer', 'real') "
            f"THEN JSON_EXTRACT({column}, %s) END)"
        )
        return sql, (*params, sqlite_json_path(self.keys)) * 2


class NumericLiteral(Expression):
    """A number compared exactly as numeric on PostgreSQL and as SQLite's own number."""

    output_field = FloatField()

    def __init__(self, value: Decimal) -> None:
        super().__init__(output_field=FloatField())
        self.value = value

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        return "%s::numeric", (str(self.value),)

    def as_sql(self, compiler: Any, connection: Any) -> Compiled:
        # SQLite's Decimal adapter binds text, which never equals a number there; integers
        # stay exact as int as long as a double could hold them too.
        integral = self.value == self.value.to_integral_value() and abs(self.value) < 2**53
        return "%s", (int(self.value) if integral else float(self.value),)


class BinaryCollate(Expression):
    """`expression` compared and ordered by code point, as SQLite's default BINARY does."""

    def __init__(self, expression: str | Expression) -> None:
        super().__init__()
        self.expression = F(expression) if isinstance(expression, str) else expression

    def get_source_expressions(self) -> list[Expression]:
        return [self.expression]

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        (self.expression,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Compiled:
        sql, params = compiler.compile(self.expression)
        return sql, tuple(params)

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        sql, params = compiler.compile(self.expression)
        return f'({sql}) COLLATE "C"', tuple(params)


class VendorPattern(Expression):
    """A checked regex bound as the spelling the connection's engine needs."""

    def __init__(self, pattern: PortablePattern) -> None:
        super().__init__(output_field=TextField())
        self.pattern = pattern

    def as_sql(self, compiler: Any, connection: Any) -> Compiled:
        return "%s", (self.pattern.for_vendor(connection.vendor),)


class ArrayElement(Expression):
    """The element of the array `JsonArrayAny` of nesting `depth` is looking at, as JSON.

    On PostgreSQL the jsonb `value` of `jsonb_array_elements`. SQLite's `json_each` gives
    strings and numbers as SQL values and booleans as 1/0, so the element is spelled as
    JSON text again, for the JSON functions (`JsonText`, ...) to read it like a document.
    """

    output_field = JSONField()

    def __init__(self, depth: int) -> None:
        super().__init__()
        self.alias = f"q_element{depth}"

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        return f"{self.alias}.value", ()

    def as_sqlite(self, compiler: Any, connection: Any) -> Compiled:
        element = self.alias
        sql = (
            f"(CASE {element}.type WHEN 'object' THEN {element}.value "
            f"WHEN 'array' THEN {element}.value WHEN 'true' THEN 'true' "
            f"WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' "
            f"ELSE JSON_QUOTE({element}.value) END)"
        )
        return sql, ()

    def as_sql(self, compiler: Any, connection: Any) -> Compiled:
        raise NotImplementedError("ArrayElement supports PostgreSQL and SQLite only")


class JsonArrayAny(_JsonKey):
    """True when some element of the JSON array at `keys` in `column` satisfies `condition`.

    `condition` is written over `ArrayElement(depth)`; a nested `JsonArrayAny` takes the
    next depth. False when the key is absent or holds no array. On PostgreSQL, `contains`
    (JSON values, e.g. `{"country": "DE"}`) may replace the condition by tests that some
    element contains one of them (`column @> '[{"country": "DE"}]'`, ORed), which a GIN
    index serves: the caller guarantees they hold exactly when the condition does (and
    only passes them with empty `keys`).
    """

    output_field = BooleanField()

    def __init__(
        self,
        column: str | Expression,
        keys: tuple[str, ...],
        condition: Q,
        *,
        depth: int,
        contains: list[Any] | None = None,
    ) -> None:
        super().__init__(column, keys)
        self.condition: Any = condition
        self.depth = depth
        self.contains = contains

    def get_source_expressions(self) -> list[Any]:
        return [self.column, self.condition]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.column, self.condition = exprs

    def as_postgresql(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        if self.contains and not self.keys:
            tests = " OR ".join(f"{column} @> %s::jsonb" for _ in self.contains)
            values = tuple(json.dumps([value], separators=(",", ":")) for value in self.contains)
            return f"({tests})", tuple(p for value in values for p in (*params, value))
        condition, condition_params = compiler.compile(self.condition)
        alias = ArrayElement(self.depth).alias
        array = f"({column} #> %s)"
        sql = (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({array}) = "
            f"'array' THEN {array} ELSE '[]'::jsonb END) AS {alias}(value) WHERE {condition})"
        )
        return sql, (*params, list(self.keys), *params, list(self.keys), *condition_params)

    def as_sqlite(self, compiler: Any, connection: Any) -> Compiled:
        column, params = self._column(compiler)
        condition, condition_params = compiler.compile(self.condition)
        alias = ArrayElement(self.depth).alias
        path = sqlite_json_path(self.keys)
        sql = (
            f"EXISTS (SELECT 1 FROM JSON_EACH(CASE WHEN JSON_TYPE({column}, %s) = 'array' "
            f"THEN JSON_EXTRACT({column}, %s) ELSE '[]' END) AS {alias} WHERE {condition})"
        )
        return sql, (*params, path, *params, path, *condition_params)
