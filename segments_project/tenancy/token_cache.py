"""A short-lived memory of verified access tokens: bounded in each process, and shared by
the processes through the cache.

A warm storefront read costs little more than the framework itself only if its token is
not looked up in the database on every request (the lookup and the connection's health
check were two round trips per request). A token verified in the last
`ACCESS_TOKEN_CACHE_SECONDS` (by this process, or by another one: the shared cache, one
round trip) is trusted again without the database, so a revocation (a new
client secret, narrowed scopes, a revoked customer, a deleted token) takes effect in every
worker within that many seconds; 0 turns the memory off. An entry never outlives its
token. Entries are keyed by the token's SHA-256 checksum (the stored form, never the token
itself) and hold the whole Principal, tenant included, so a token only ever yields its
own tenant's caller.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from threading import Lock

from django.conf import settings
from django.core.cache import cache

from .principal import Principal

Verified = tuple[Principal, int]

_entries: OrderedDict[str, tuple[float, Verified]] = OrderedDict()
_lock = Lock()
# Wall-clock time: the shared entries' deadlines are compared across processes.
clock = time.time


def ttl_seconds() -> float:
    return float(getattr(settings, "ACCESS_TOKEN_CACHE_SECONDS", 0))


def _shared_key(checksum: str) -> str:
    return f"verified-token:{checksum}"


def recall(checksum: str) -> Verified | None:
    """The verified caller of the token with this checksum, if verified recently enough:
    by this process, or by another one (the shared cache, one round trip)."""
    if ttl_seconds() <= 0:
        return None
    entry = _entries.get(checksum)
    if entry is None:
        entry = cache.get(_shared_key(checksum))
        if entry is None:
            return None
        _keep(checksum, entry)
    until, verified = entry
    if clock() < until:
        return verified
    with _lock:
        _entries.pop(checksum, None)
    return None


def remember(checksum: str, verified: Verified, *, token_seconds_left: float) -> None:
    """Keeps `verified` for the configured time, and never past the token's own expiry.
    The deadline is the verification's: a process that learns of it later keeps it no
    longer."""
    ttl = min(ttl_seconds(), token_seconds_left)
    if ttl <= 0:
        return
    entry = (clock() + ttl, verified)
    _keep(checksum, entry)
    cache.set(_shared_key(checksum), entry, math.ceil(ttl))


def _keep(checksum: str, entry: tuple[float, Verified]) -> None:
    limit = max(1, int(getattr(settings, "ACCESS_TOKEN_CACHE_SIZE", 10_000)))
    with _lock:
        _entries[checksum] = entry
        _entries.move_to_end(checksum)
        while len(_entries) > limit:
            _entries.popitem(last=False)  # the oldest verification goes first


def forget_all() -> None:
    """Empties this process's memory (the shared entries lapse on their own)."""
    with _lock:
        _entries.clear()
