"""What every set-based write shares, whoever calls it (the API's bulk operations, the
admin, the imports): the counts of what became of the rows, what a set-based upsert
answers (`Upserted`), and the rule that rows naming the same key twice are written in
input order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from segments_project.errors import ApplicationError

T = TypeVar("T")


@dataclass
class Counts:
    """Accepted rows of one chunk (or of the whole run) by what became of them."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged

    @property
    def wrote(self) -> bool:
        return bool(self.inserted or self.updated)


@dataclass
class Upserted(Generic[T]):
    """What a set-based upsert of rows `T` did: how many it inserted, updated or left
    unchanged, the rows it refused with the error the API would answer (in the order
    found), the stored rows it wrote (new and changed, with their pks), and the new rows
    it could not insert because another writer created them meanwhile (to write again)."""

    counts: Counts = field(default_factory=Counts)
    refused: list[tuple[T, ApplicationError]] = field(default_factory=list)
    written: list[Any] = field(default_factory=list)
    raced: list[T] = field(default_factory=list)


def unique_batches(items: Iterable[T], key: Callable[[T], Hashable]) -> Iterator[list[T]]:
    """Consecutive runs of the items in which no key repeats, in order: a row that names
    a key again is written after the one before it, never in the same statement."""
    batch: list[T] = []
    keys: set[Hashable] = set()
    for item in items:
        item_key = key(item)
        if item_key in keys:
            yield batch
            batch, keys = [], set()
        batch.append(item)
        keys.add(item_key)
    if batch:
        yield batch
