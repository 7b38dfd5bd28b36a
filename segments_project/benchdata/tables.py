"""Set-based writes for the generator: reserved primary keys, streamed rows, no save per row.

- Primary keys are reserved in one block per table before the rows are made, so rows can
  reference each other (a category its parent, an assignment its customer) without
  reading anything back.
- Rows stream in chunks; each chunk is one transaction. PostgreSQL takes a chunk as one
  `COPY ... FROM STDIN`; other databases as multi-row `executemany` inserts.
- Deleting a tenant's data is one `DELETE ... WHERE tenant_id = %s` per table, children
  first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models, transaction

CHUNK_ROWS = 50_000
SQLITE_BATCH = 2_000


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def reserve_pks(model: type[models.Model], count: int) -> int:
    """The first of `count` consecutive primary keys no other row has or will get."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            (sequence,) = cursor.fetchone()
            if count == 0:
                return 1
            # nextval() takes the first id; setval() moves the sequence past the block.
            cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count])
            (last,) = cursor.fetchone()
            return last - count + 1
        cursor.execute(f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(table)}")
        (highest,) = cursor.fetchone()
        return (highest or 0) + 1


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class TableWriter:
    """Writes rows (tuples in `fields` order; JSON fields as Python values) into a model's
    table."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self.table = model._meta.db_table
        self.columns = ", ".join(quote(field.column) for field in self.fields)
        self._json = [isinstance(field, models.JSONField) for field in self.fields]

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        """Writes every row; returns how many there were."""
        written = 0
        for chunk in _chunks(rows, CHUNK_ROWS):
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    self._copy(chunk)
                else:
                    self._insert(chunk)
            written += len(chunk)
        return written

    def _copy(self, chunk: list[Sequence[Any]]) -> None:
        json_columns = [index for index, is_json in enumerate(self._json) if is_json]
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {quote(self.table)} ({self.columns}) FROM STDIN") as copy,
        ):
            for row in chunk:
                if json_columns:
                    row = list(row)
                    for index in json_columns:
                        # None is SQL NULL (as the ORM stores it), not the JSON null.
                        if row[index] is not None:
                            row[index] = json.dumps(row[index], separators=(",", ":"))
                copy.write_row(row)

    def _insert(self, chunk: list[Sequence[Any]]) -> None:
        placeholders = ", ".join(["%s"] * len(self.fields))
        sql = f"INSERT INTO {quote(self.table)} ({self.columns}) VALUES ({placeholders})"
        prepared = (
            [
                field.get_db_prep_save(value, connection)
                for field, value in zip(self.fields, row, strict=True)
            ]
            for row in chunk
        )
        with connection.cursor() as cursor:
            for batch in _chunks(prepared, SQLITE_BATCH):
                cursor.executemany(sql, batch)


def delete_tenant_rows(tenant: str, tables: Sequence[type[models.Model]]) -> dict[str, int]:
    """Deletes the tenant's rows of each model (children first) in one transaction."""
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for model in tables:
            column = quote(model._meta.get_field("tenant").column)
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE {column} = %s", [tenant]
            )
            deleted[model._meta.label] = cursor.rowcount
    return deleted


def analyze(tables: Sequence[type[models.Model]]) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
