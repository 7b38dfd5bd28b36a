"""A short-lived, bounded, in-process memory of verified access tokens.

A warm storefront read costs little more than the framework itself only if its token is
not looked up in the database on every request (the lookup and the connection's health
check were two round trips per request). A token verified in the last
`ACCESS_TOKEN_CACHE_SECONDS` is trusted again without the database, so a revocation (a new
client secret, narrowed scopes, a revoked customer, a deleted token) takes effect in every
worker within that many seconds; 0 turns the memory off. An entry never outlives its
token. Entries are keyed by the token's SHA-256 checksum (the stored form, never the token
itself) and hold the whole Principal, tenant included, so a token only ever yields its
own tenant's caller.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from threading import Lock

from django.conf import settings

from .principal import Principal

Verified = tuple[Principal, int]

_entries: OrderedDict[str, tuple[float, Verified]] = OrderedDict()
_lock = Lock()
clock = time.monotonic


def ttl_seconds() -> float:
    return float(getattr(settings, "ACCESS_TOKEN_CACHE_SECONDS", 0))


def recall(checksum: str) -> Verified | None:
    """The verified caller of the token with this checksum, if verified recently enough."""
    entry = _entries.get(checksum)
    if entry is None:
        return None
    until, verified = entry
    if clock() < until:
        return verified
    with _lock:
        if _entries.get(checksum) is entry:
            del _entries[checksum]
    return None


def remember(checksum: str, verified: Verified, *, token_seconds_left: float) -> None:
    """Keeps `verified` for the configured time, and never past the token's own expiry."""
    ttl = min(ttl_seconds(), token_seconds_left)
    if ttl <= 0:
        return
    limit = max(1, int(getattr(settings, "ACCESS_TOKEN_CACHE_SIZE", 10_000)))
    with _lock:
        _entries[checksum] = (clock() + ttl, verified)
        _entries.move_to_end(checksum)
        while len(_entries) > limit:
            _entries.popitem(last=False)  # the oldest verification goes first


def forget_all() -> None:
    """Empties this process's memory (a revocation here applies at once in this process)."""
    with _lock:
        _entries.clear()
