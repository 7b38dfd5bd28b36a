"""Set-based writes of assignment rows: new rows inserted, changed rows updated, many per
statement, with the pks of the written rows returned (replace mode keeps them).

Two ways, one result:

- Any database: `bulk_create` for the new rows and `bulk_update` for the changed ones.
- PostgreSQL: new rows are COPYed straight into the table, as PostgreSQL's own bulk load
  would: every writer of a segment's assignments holds the segment's lock while it reads
  and writes them (`segments.services.members`, `segments.services.items`), so no row the
  read did not see appears before the commit. Should one appear all the same, the COPY
  (in a savepoint) is undone and the rows take the other way. Changed rows (and, in
  replace mode, which needs every written pk, all rows) are COPYed into a temporary
  staging table and moved with one `INSERT ... SELECT ... ON CONFLICT (...) WHERE ... DO
  UPDATE ... WHERE (changed)` per partial unique index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, models, transaction

_copy_on_postgresql: ContextVar[bool] = ContextVar("copy_on_postgresql", default=True)


@contextmanager
def copy_disabled() -> Iterator[None]:
    """Inside the block, PostgreSQL takes the way of every other database
    (`bulk_create`/`bulk_update`). The benchmark's switch
    (`bench/import_customer_assignments.py --bulk-path` times both ways on one database);
    production code never uses it."""
    token = _copy_on_postgresql.set(False)
    try:
        yield
    finally:
        _copy_on_postgresql.reset(token)


_NULL = "\\N"
_EMPTY_OBJECT = "{}"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _cell(value: object) -> str:
    """A value in COPY's text format: `\\N` for NULL; backslashes, tabs and line breaks
    escaped."""
    if value is None:
        return _NULL
    if type(value) is int:
        return str(value)
    return str(value).translate(_COPY_ESCAPES)


def _json_cell(value: object) -> str:
    return _EMPTY_OBJECT if value == {} else _cell(json.dumps(value))


@dataclass(slots=True)
class Planned:
    """An assignment row to write: `pk` None for a new row."""

    pk: int | None
    refs: tuple[int | None, ...]
    values: dict[str, Any]
    version: int
    created_at: datetime
    modified_at: datetime


@dataclass(frozen=True)
class Arbiter:
    """A (partial) unique index: PostgreSQL's `ON CONFLICT (columns) WHERE predicate`.

    `ref`, `null`: the index holds the rows whose ref at that position is (not) NULL,
    the predicate in Python, so that no statement is sent for an index no row needs.
    """

    columns: tuple[str, ...]
    predicate: str
    ref: int
    null: bool

    def holds(self, row: Planned) -> bool:
        return (row.refs[self.ref] is None) is self.null


class Stage:
    """What an import knows of its session's staging table, so that it is created once
    per session and emptied only when it may hold rows: `ON COMMIT DELETE ROWS` empties it
    at every commit and a rollback undoes what was put in, but a released savepoint (a
    chunk inside a caller's transaction, or in replace mode) keeps the rows.

    The importer reports the end of each chunk's transaction to `transaction_ended`.
    """

    def __init__(self) -> None:
        self._session: object | None = None  # the connection the table surely exists in
        self._created = False  # by the current transaction
        self.used = False  # rows may be in it

    def exists(self) -> bool:
        return self._created or self._session is connection.connection

    def created(self) -> None:
        self._created = True

    def transaction_ended(self, *, committed: bool, outermost: bool) -> None:
        if outermost:
            if committed and self._created:
                self._session = connection.connection
            self._created = self.used = False
        elif not committed:
            self._created = False  # perhaps undone with the savepoint: check again


@dataclass(frozen=True)
class RowTable:
    """How the rows of one model (an assignment table) are told apart and what a write changes."""

    model: type[models.Model]
    ref_columns: tuple[str, ...]
    value_fields: tuple[str, ...]
    json_fields: frozenset[str]
    arbiters: tuple[Arbiter, ...]

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    def write(
        self,
        tenant: str,
        inserts: list[Planned],
        updates: list[Planned],
        stage: Stage,
        *,
        returning: bool,
    ) -> list[int]:
        """Writes the rows; with `returning`, returns the pks of the inserted and updated
        rows (otherwise perhaps not all of them)."""
        if not inserts and not updates:
            return []
        if connection.vendor != "postgresql" or not _copy_on_postgresql.get():
            return self._bulk(tenant, inserts, updates)
        if returning:
            return self._copy_and_merge(tenant, [*inserts, *updates], stage)
        if inserts and not self._copy_new(tenant, inserts):
            updates = [*inserts, *updates]
        return self._copy_and_merge(tenant, updates, stage) if updates else []

    # --- any database ------------------------------------------------------------------

    def _instance(self, tenant: str, row: Planned) -> models.Model:
        return self.model(
            pk=row.pk,
            tenant_id=tenant,
            version=row.version,
            created_at=row.created_at,
            modified_at=row.modified_at,
            **dict(zip(self.ref_columns, row.refs, strict=True)),
            **row.values,
        )

    def _bulk(self, tenant: str, inserts: list[Planned], updates: list[Planned]) -> list[int]:
        created = self.model.objects.bulk_create([self._instance(tenant, row) for row in inserts])
        if updates:
            self.model.objects.bulk_update(
                [self._instance(tenant, row) for row in updates],
                [*self.value_fields, "version", "modified_at"],
            )
        return [obj.pk for obj in created] + [row.pk for row in updates]  # type: ignore[misc]

    # --- PostgreSQL --------------------------------------------------------------------

    @property
    def _columns(self) -> tuple[str, ...]:
        return (
            "tenant_id",
            *self.ref_columns,
            *self.value_fields,
            "version",
            "created_at",
            "modified_at",
        )

    def _stage(self, cursor: Any, stage: Stage) -> str:
        """The session's staging table, created on first use, emptied at every commit."""
        name = f"import_stage_{self.db_table}"
        if not stage.exists():
            columns = ", ".join(self._columns)
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
                f"SELECT {columns} FROM {self.db_table} WITH NO DATA"
            )
            stage.created()
        if stage.used:
            cursor.execute(f"TRUNCATE {name}")
        stage.used = True
        return name

    def _copy_text(self, tenant: str, rows: Iterable[Planned]) -> str:
        """The rows in COPY's text format, one line each."""
        encoders = [
            (name, _json_cell if name in self.json_fields else _cell) for name in self.value_fields
        ]
        stamps: dict[datetime, str] = {}
        lines = []
        for row in rows:
            values = row.values
            for stamp in (row.created_at, row.modified_at):
                if stamp not in stamps:
                    stamps[stamp] = stamp.isoformat()
            cells = [
                tenant,
                *map(_cell, row.refs),
                *[encode(values[name]) for name, encode in encoders],
                str(row.version),
                stamps[row.created_at],
                stamps[row.modified_at],
            ]
            lines.append("\t".join(cells))
        lines.append("")
        return "\n".join(lines)

    def _copy_new(self, tenant: str, rows: list[Planned]) -> bool:
        """COPYs rows read as new into the table; False (and nothing written) if one of
        them exists after all."""
        columns = ", ".join(self._columns)
        try:
            # psycopg's errors as Django's (cursor.copy bypasses Django's wrapper).
            with (
                transaction.atomic(),
                connection.wrap_database_errors,
                connection.cursor() as cursor,
                cursor.copy(f"COPY {self.db_table} ({columns}) FROM STDIN") as copy,
            ):
                copy.write(self._copy_text(tenant, rows))
        except IntegrityError:
            return False
        return True

    def _copy_and_merge(self, tenant: str, rows: list[Planned], stage: Stage) -> list[int]:
        columns = ", ".join(self._columns)
        changed = ", ".join(self.value_fields)
        # The stored version + 1, not the planned one: a row read as new has version 1.
        assignments = ", ".join(
            [f"{name} = EXCLUDED.{name}" for name in (*self.value_fields, "modified_at")]
            + ["version = t.version + 1"]
        )
        written: list[int] = []
        with connection.cursor() as cursor:
            name = self._stage(cursor, stage)
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy,
            ):
                copy.write(self._copy_text(tenant, rows))
            for arbiter in self.arbiters:
                if not any(arbiter.holds(row) for row in rows):
                    continue
                cursor.execute(
                    f"INSERT INTO {self.db_table} AS t ({columns}) "
                    f"SELECT {columns} FROM {name} WHERE {arbiter.predicate} "
                    f"ON CONFLICT ({', '.join(arbiter.columns)}) WHERE {arbiter.predicate} "
                    f"DO UPDATE SET {assignments} "
                    f"WHERE (t.{changed.replace(', ', ', t.')}) IS DISTINCT FROM "
                    f"(EXCLUDED.{changed.replace(', ', ', EXCLUDED.')}) "
                    "RETURNING t.id"
                )
                written += [pk for (pk,) in cursor.fetchall()]
        return written


class Statistics:
    """Keeps PostgreSQL's row estimate of a table in step with a large load.

    A load into a table the planner believes (nearly) empty makes the per-chunk lookups
    of stored rows pick plans fit for an empty table, which slow down as the table
    fills. So when an import has inserted more than four times the rows the statistics
    knew of (and at least 10,000), the table is analyzed, between chunks: a few times
    for a load into an empty table, never for a sync into a table of about its size.
    """

    THRESHOLD = 10_000

    def __init__(self, table: RowTable) -> None:
        self._table = table
        self._known: int | None = None
        self._inserted = 0

    def grew(self, inserted: int) -> None:
        if connection.vendor != "postgresql" or not inserted:
            return
        with connection.cursor() as cursor:
            if self._known is None:
                cursor.execute(
                    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self._table.db_table],
                )
                self._known = cursor.fetchone()[0]
            self._inserted += inserted
            if self._inserted < max(self.THRESHOLD, 4 * self._known):
                return
            cursor.execute(f"ANALYZE {self._table.db_table}")
        self._known += self._inserted
        self._inserted = 0
