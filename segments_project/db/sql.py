"""SQL fragments the members' hot paths share, written once per database vendor."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import connection


def one_of(column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """`column` is one of `values`: one array parameter on PostgreSQL (a statement whose
    text does not grow with the values), a list of placeholders elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def row_lock(strength: str) -> str:
    """` FOR <strength>` (`KEY SHARE`, `NO KEY UPDATE`) where rows can be locked; SQLite
    takes no row locks, its immediate transactions serialize writers already."""
    return f" FOR {strength}" if connection.vendor == "postgresql" else ""


# The namespace (first key) of the segments' transaction-level advisory locks.
SEGMENT_LOCKS = 17


def segment_advisory_lock(column: str, *, shared: bool) -> str:
    """PostgreSQL: an SQL expression taking the transaction-level advisory lock of the
    segment whose pk is `column` (shared or exclusive), held until the transaction ends.

    Unlike a row lock it writes nothing (no tuple header, no WAL record): what a customer
    write takes on every rule segment of its tenant. The pk is masked to the lock's
    32-bit key; two segments that share a key only wait for each other needlessly."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    return f"{function}({SEGMENT_LOCKS}, CAST({column} & 2147483647 AS integer))"
