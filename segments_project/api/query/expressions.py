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

from django.db.models import CharField, Expression, F, FloatField, TextField

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
