"""Work joined to what the current transaction already runs after its commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, transaction

Pending = TypeVar("Pending", bound=Callable[[], None])


def on_commit_once(
    kind: type[Pending], joins: Callable[[Pending], bool], new: Callable[[], Pending]
) -> None:
    """Runs a `kind` callable after the current transaction's commit (at once outside
    one): the pending one of the same savepoints for which `joins(pending)` is true and
    took the new work, else `new()`. Work of the same savepoints only: it runs, or is
    discarded, with the work of the caller."""
    if connection.in_atomic_block:
        savepoints = set(connection.savepoint_ids)
        for pending_savepoints, func, _robust in connection.run_on_commit:
            if isinstance(func, kind) and pending_savepoints == savepoints and joins(func):
                return
    transaction.on_commit(new())
