"""Each process's memory of the access tokens it verified, and how revocations reach it.

A warm storefront read costs little more than the framework itself only if its token is
not looked up in the database on every request. A token this process verified in the last
`ACCESS_TOKEN_CACHE_SECONDS` (60 by default) is trusted again without the database, unless
the feed of revocations (`revocation_feed`) says it was revoked or changed since: every
process reads the feed at most every `ACCESS_TOKEN_REVOCATION_SECONDS` (1), on a request,
so a revocation (a deleted token, a new client secret, narrowed scopes, a revoked
customer, a deleted client or session) takes effect in every process within that time.
Without a cache shared by the processes the feed reaches only its own process, so a token
is then remembered for `ACCESS_TOKEN_REVOCATION_SECONDS` at most. An entry never outlives
its token; 0 seconds turns the memory off.

Entries are keyed by the token's SHA-256 checksum (the stored form, never the token
itself) and hold the whole Principal, tenant included, so a token only ever yields its own
tenant's caller.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from threading import Lock

from django.conf import settings

from . import revocation_feed
from .principal import Principal

log = logging.getLogger(__name__)

Verified = tuple[Principal, int]

# Wall-clock time (a fake in tests).
clock = time.time


class _Memory:
    """The remembered tokens, and the feed's position and what it recently dropped, for
    `remember` to refuse a verification that a revocation read meanwhile overtook."""

    # How many recent drops are kept for that check.
    DROPS_KEPT = 10_000

    def __init__(self) -> None:
        self.lock = Lock()
        self.entries: OrderedDict[str, tuple[float, Verified]] = OrderedDict()
        self.feed_read: int | None = None
        self.next_read = -math.inf
        # Counts the feed's reads that dropped something; `dropped` says at which each
        # checksum went, `forgot_all` the last that dropped everything, `floor` the last
        # whose drops `dropped` no longer holds.
        self.generation = 0
        self.dropped: OrderedDict[str, int] = OrderedDict()
        self.forgot_all = 0
        self.floor = 0

    def drop(self, checksums: frozenset[str], *, everything: bool) -> None:
        with self.lock:
            self.generation += 1
            if everything:
                self.entries.clear()
                self.dropped.clear()
                self.forgot_all = self.generation
                return
            for checksum in checksums:
                self.entries.pop(checksum, None)
                self.dropped[checksum] = self.generation
                self.dropped.move_to_end(checksum)
            while len(self.dropped) > self.DROPS_KEPT:
                _, generation = self.dropped.popitem(last=False)
                self.floor = max(self.floor, generation)

    def overtaken(self, checksum: str, since: int) -> bool:
        """Whether the feed dropped this token (or everything) after generation `since`."""
        return max(self.forgot_all, self.floor, self.dropped.get(checksum, 0)) > since


_memory = _Memory()


def ttl_seconds() -> float:
    """How long a verified token is remembered (0: not at all)."""
    remembered = float(getattr(settings, "ACCESS_TOKEN_CACHE_SECONDS", 0))
    if remembered <= 0 or settings.CACHE_SHARED_BY_PROCESSES:
        return remembered
    return min(remembered, revocation_seconds())


def revocation_seconds() -> float:
    return float(getattr(settings, "ACCESS_TOKEN_REVOCATION_SECONDS", 1.0))


def recall(checksum: str) -> Verified | None:
    """The verified caller of the token with this checksum, if this process verified it
    recently enough and the feed has not revoked it since."""
    if ttl_seconds() <= 0:
        return None
    now = clock()
    if now >= _memory.next_read:
        _follow_feed(now)
    entry = _memory.entries.get(checksum)
    if entry is None:
        return None
    until, verified = entry
    if now < until:
        return verified
    with _memory.lock:
        _memory.entries.pop(checksum, None)
    return None


def mark() -> int:
    """The feed's generation now: taken before a token's lookup, for `remember`."""
    return _memory.generation


def remember(checksum: str, verified: Verified, *, token_seconds_left: float, since: int) -> None:
    """Keeps `verified` for the configured time, and never past the token's own expiry,
    unless the feed revoked the token after `since` (`mark()` before its lookup): the
    lookup may then have read it before the revocation's commit."""
    ttl = min(ttl_seconds(), token_seconds_left)
    if ttl <= 0:
        return
    limit = max(1, int(getattr(settings, "ACCESS_TOKEN_CACHE_SIZE", 10_000)))
    with _memory.lock:
        if _memory.overtaken(checksum, since):
            return
        _memory.entries[checksum] = (clock() + ttl, verified)
        _memory.entries.move_to_end(checksum)
        while len(_memory.entries) > limit:
            _memory.entries.popitem(last=False)  # the oldest verification goes first


def _follow_feed(now: float) -> None:
    """Drops what the feed revoked since this process last read it, at most once every
    `ACCESS_TOKEN_REVOCATION_SECONDS`; a failed read drops everything."""
    if not _memory.lock.acquire(blocking=False):
        return  # another thread is reading it
    try:
        if now < _memory.next_read:
            return
        _memory.next_read = now + revocation_seconds()
        last = _memory.feed_read
    finally:
        _memory.lock.release()
    try:
        news = revocation_feed.read_since(last)
    except Exception:
        log.exception("Reading the token revocation feed failed")
        _memory.drop(frozenset(), everything=True)
        return
    if news.forget_all or news.checksums:
        _memory.drop(news.checksums, everything=news.forget_all)
    with _memory.lock:
        _memory.feed_read = news.last


def forget_all() -> None:
    """Empties this process's memory and its place in the feed (tests; a fresh start)."""
    global _memory
    _memory = _Memory()
