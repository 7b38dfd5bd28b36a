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
