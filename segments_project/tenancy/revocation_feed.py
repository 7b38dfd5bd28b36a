"""The feed of revoked access tokens, in the cache, which every process follows to drop
the tokens it remembers (`token_cache`).

A revocation (a token deleted or changed, a client's or a session's change) is published
after its transaction commits, as the checksums of the tokens it ends or `FORGET_ALL`
(a change that reaches every token of a client). Entries are numbered by one counter
(`cache.incr`), stored one key each for a while longer than any token is remembered; a
follower reads the counter and the entries past the number it read last. It forgets
everything it remembers when it cannot tell what it missed: an entry gone or not yet
written, too many entries since, or a counter that went back or vanished (a flush, an
eviction, a Redis restart: a new counter starts at a random number, never where the old one
was).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from segments_project.db.after_commit import on_commit_once

log = logging.getLogger(__name__)

FORGET_ALL = "*"
# Past this many entries since the last read, a follower forgets everything instead.
MOST_READ = 1000
_COUNTER = "token-revocations:n"


def _entry_key(number: int) -> str:
    return f"token-revocations:{number}"


def _entry_seconds() -> int:
    """How long an entry is kept: longer than a token is remembered, so a follower that was
    idle since sees a missing entry (and forgets everything) rather than a gap it skips."""
    return int(getattr(settings, "ACCESS_TOKEN_CACHE_SECONDS", 0)) + 60


def publish(checksums: Collection[str]) -> None:
    """Appends these revocations to the feed now (after their commit)."""
    if not checksums:
        return
    count = len(checksums)
    try:
        last = cache.incr(_COUNTER, count)
    except ValueError:  # no counter yet (or any more): a new one, far from any old one
        cache.add(_COUNTER, secrets.randbits(62), None)
        last = cache.incr(_COUNTER, count)
    first = last - count + 1
    cache.set_many(
        {_entry_key(first + offset): value for offset, value in enumerate(checksums)},
        _entry_seconds(),
    )


@dataclass(frozen=True)
class News:
    """What a follower learned: the counter now, and the revoked checksums since its last
    read, or `forget_all`."""

    last: int | None
    checksums: frozenset[str] = frozenset()
    forget_all: bool = False


def read_since(last: int | None) -> News:
    """The revocations published after the entry numbered `last` (None: never read)."""
    now = cache.get(_COUNTER)
    if now is None:  # started here, so that the next read knows where entries begin
        cache.add(_COUNTER, secrets.randbits(62), None)
        now = cache.get(_COUNTER)
    if now == last:
        return News(last)
    if now is None or last is None or now < last or now - last > MOST_READ:
        return News(now, forget_all=True)
    entries = cache.get_many([_entry_key(number) for number in range(last + 1, now + 1)])
    values = set(entries.values())
    if len(entries) < now - last or FORGET_ALL in values:
        return News(now, forget_all=True)
    return News(now, frozenset(values))


class _Revocation:
    """The checksums one transaction (at one savepoint depth) revoked, published after its
    commit."""

    def __init__(self, checksums: set[str]) -> None:
        self.checksums = checksums

    def __call__(self) -> None:
        try:
            publish(sorted(self.checksums))
        except Exception:
            # The change committed; the processes that remember these tokens drop them at the
            # latest when their memory of them lapses (ACCESS_TOKEN_CACHE_SECONDS).
            log.exception("Publishing %d token revocations failed", len(self.checksums))


def revoke_after_commit(checksums: Iterable[str]) -> None:
    """Publishes the revocation of these tokens (by checksum, or `FORGET_ALL`) once the
    current transaction commits, at once outside one. Joins a pending publication of the
    same savepoints: a client's secret rotation deleting thousands of tokens is one."""
    checksums = set(checksums)
    if not checksums:
        return

    def joins(pending: _Revocation) -> bool:
        pending.checksums |= checksums
        return True

    on_commit_once(_Revocation, joins, lambda: _Revocation(checksums))
