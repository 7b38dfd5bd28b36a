"""What a customer write changed of its customers, in the terms rules read them: which of
the tenant's rules the write's evaluation (`write_evaluation.py`) must evaluate.

A rule is evaluated for the written customers only when it reads something one of them
changed (a column, a key path of `mixins`, the links), when one of them is new, or when it
moves with the time (a relative date). A rule whose reads did not change answers what it
answered at the customers' last evaluation, so evaluating it could not change their
memberships.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from ..selectors.written_matches import (
    LINKS,
    RULE_SET_CACHE_SIZE,
    Read,
    RuleReads,
    RuleSegment,
    rule_reads,
)

# Columns holding JSON documents whose rules read key paths (`mixins.orders.totalSpent`).
_JSON_COLUMNS = frozenset({"mixins", "metadata_mixins"})
# Columns that change whenever anything of the customer changes.
_ANY_CHANGE = frozenset({"version", "modified_at"})
_MISSING = object()
# created, anything changed, changed columns, changed JSON paths (`CustomerChanges`)
_ChangesKey = tuple[bool, bool, frozenset[str], frozenset[tuple[str, tuple[str, ...]]]]


class CustomerChanges:
    """What a write changed of its customers, in the terms rules read them (`flips`): the
    directory's writes, which know the stored values they replace, add each customer.

    A rule is evaluated for the written customers only when it reads something one of
    them changed, when one of them is new, or when it moves with the time (a relative
    date): a rule whose reads did not change answers what it answered at the customers'
    last evaluation, so evaluating it could not change their memberships."""

    def __init__(self) -> None:
        self.created = False
        self.anything = False
        self.columns: set[str] = set()
        self.paths: set[tuple[str, tuple[str, ...]]] = set()

    def add_created(self) -> None:
        self.created = self.anything = True

    def add(self, before: dict[str, Any], after: dict[str, Any], *, links_changed: bool) -> None:
        """A stored customer: its values `before` and `after` the write (model fields, those
        of `after` only), and whether its links changed."""
        for column, value in after.items():
            old = before.get(column)
            if old == value:
                continue
            self.anything = True
            if column in _JSON_COLUMNS:
                self.paths.update((column, path) for path in _changed_paths(old, value, ()))
            else:
                self.columns.add(column)
        if links_changed:
            self.anything = True
            self.columns.add(LINKS)

    def key(self) -> _ChangesKey:
        """The changes as a hashable value (`_flipped`'s cache key)."""
        return (self.created, self.anything, frozenset(self.columns), frozenset(self.paths))

    @classmethod
    def of(cls, key: _ChangesKey) -> CustomerChanges:
        changes = cls()
        changes.created, changes.anything = key[0], key[1]
        changes.columns, changes.paths = set(key[2]), set(key[3])
        return changes

    def flips(self, reads: RuleReads) -> bool:
        """Whether the write may change what a rule with these reads selects."""
        return self.created or reads.moving or any(self._changed(read) for read in reads.reads)

    def _changed(self, read: Read) -> bool:
        column, keys = read
        if column in _ANY_CHANGE:
            return self.anything
        if column in _JSON_COLUMNS:
            return any(changed == column and _overlap(path, keys) for changed, path in self.paths)
        return column in self.columns


@lru_cache(maxsize=RULE_SET_CACHE_SIZE)
def flipped(
    vendor: str, tenant: str, rules: tuple[RuleSegment, ...], changes: _ChangesKey
) -> tuple[RuleSegment, ...]:
    """The rules the changes may flip: a write of the same fields as the last one (the
    common case: an integration updating the same facts) finds them in this cache."""
    flips = CustomerChanges.of(changes).flips
    return tuple(rule for rule in rules if flips(rule_reads(vendor, tenant, rule.criteria)))


def _changed_paths(old: Any, new: Any, path: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    """The key paths at which two JSON documents differ (the deepest objects both have)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            before, after = old.get(key, _MISSING), new.get(key, _MISSING)
            if before != after:
                yield from _changed_paths(before, after, (*path, key))
    else:
        yield path


def _overlap(changed: tuple[str, ...], read: tuple[str, ...]) -> bool:
    """A change at one path reaches a read of another when one path contains the other."""
    shorter = min(len(changed), len(read))
    return changed[:shorter] == read[:shorter]
