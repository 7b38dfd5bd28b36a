"""Substring search over large tables: one text per row, one trigram index per table.

An admin search (`icontains` on each of a handful of columns, ORed) reads every row of the
table: at a million customers about a second. Searching one expression instead, the
columns joined by spaces (`search_text`), lets PostgreSQL answer `UPPER(text) LIKE
'%WORD%'` from a GIN index of the text's trigrams (pg_trgm), which a migration creates on
PostgreSQL only (`TrigramIndex`, `add_postgresql_indexes`); SQLite has no GIN indexes and
scans, as before. The index holds `UPPER(search_text(...))` as the queries compile it: the
migration builds it from the same function, and a test checks that the plan uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Expression, Index, QuerySet, TextField, Value
from django.db.models.functions import Concat, Upper
from django.db.models.sql import Query
from django.utils.text import smart_split, unescape_string_literal

SEPARATOR = " "


def search_text(*fields: str) -> Expression:
    """The fields' text joined by spaces (an empty field as empty text). Field paths may
    cross relations (`customer__email`): the expression is then the related table's."""
    parts: list[Any] = []
    for field in fields:
        parts += [field, Value(SEPARATOR)]
    return Concat(*parts[:-1], output_field=TextField())


def search_words(term: str) -> list[str]:
    """The words of a search box's text, as Django's admin splits it ("quoted phrases" stay
    one word)."""
    words = []
    for word in smart_split(term):
        if word[:1] in ('"', "'") and word[-1:] == word[:1] and len(word) > 1:
            word = unescape_string_literal(word)
        if word:
            words.append(word)
    return words


def matching(queryset: QuerySet, term: str, *fields: str, alias: str = "search_text") -> QuerySet:
    """The rows whose `search_text(*fields)` contains every word of the term, each anywhere
    and case-insensitively (Django's `icontains`, which the trigram index serves)."""
    words = search_words(term)
    if not words:
        return queryset
    queryset = queryset.alias(**{alias: search_text(*fields)})
    for word in words:
        queryset = queryset.filter(**{f"{alias}__icontains": word})
    return queryset


def compiled(model: Any, expression: Expression, schema_editor: Any) -> str:
    """The expression's SQL on the model's table, its parameters inlined, columns not
    qualified by the table (as in an index definition)."""
    query = Query(model, alias_cols=False)
    compiler = query.get_compiler(connection=schema_editor.connection)
    sql, params = compiler.compile(expression.resolve_expression(query))
    return sql % tuple(schema_editor.quote_value(param) for param in params)


@dataclass(frozen=True)
class TrigramIndex:
    """A GIN index of the trigrams of `UPPER(search_text(*fields))`, what `icontains` on the
    text compares (PostgreSQL with pg_trgm). Written as SQL: Django's `OpClass` around
    this expression compiles to an invalid statement."""

    name: str
    fields: tuple[str, ...]

    def create(self, schema_editor: Any, model: Any) -> None:
        expression = compiled(model, Upper(search_text(*self.fields)), schema_editor)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {self.name} ON {table} "
            f"USING gin (({expression}) gin_trgm_ops)"
        )

    def drop(self, schema_editor: Any, model: Any) -> None:
        schema_editor.execute(f"DROP INDEX IF EXISTS {self.name}")


def add_postgresql_indexes(
    schema_editor: Any, model: Any, indexes: Iterable[Index | TrigramIndex]
) -> None:
    """Creates the indexes on PostgreSQL (with the pg_trgm extension for trigram indexes);
    on any other database nothing."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in indexes:
        if isinstance(index, TrigramIndex):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            index.create(schema_editor, model)
        else:
            schema_editor.add_index(model, index)


def remove_postgresql_indexes(
    schema_editor: Any, model: Any, indexes: Iterable[Index | TrigramIndex]
) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in indexes:
        if isinstance(index, TrigramIndex):
            index.drop(schema_editor, model)
        else:
            schema_editor.remove_index(model, index)
