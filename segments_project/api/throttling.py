"""Per-caller rate limits: a fixed-window request counter per tenant and OAuth client (and,
for customer tokens, per customer), shared by every worker through the default cache
(Redis in production).

Each worker takes budget from the shared counter a few requests at a time (a lease, at most
`API_RATE_LIMIT_LEASE` and 1/200 of the limit) and spends it without a round trip to the
cache; more than the limit is never admitted in a window, and a holder is refused at the
earliest when the other workers' unspent leases would have covered its remaining requests
(docs/security.md, "Rate limiting").
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from threading import Lock
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.exceptions import ImproperlyConfigured
from django_redis.cache import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from segments_project.tenancy.principal import Principal

DEFAULT_CLIENT_RATE = "6000/min"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A lease is at most this share of the limit: with W workers a holder is refused at the
# earliest (W - 1) / LEASE_SHARE of the limit early, and a small limit is counted exactly.
LEASE_SHARE = 200


def parse_rate(rate: str) -> tuple[int, int]:
    """`"6000/min"` -> (6000 requests, 60 seconds); the period is read from its first
    letter (s, m, h, d), as DRF reads it."""
    try:
        count, period = rate.split("/")
        return int(count), _PERIODS[period[0]]
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(f"Invalid API rate limit {rate!r}: use e.g. 6000/min.") from exc


def budget_holder(principal: Principal, address: str = "") -> str:
    """Whose budget a request spends: the client's, or for a customer token the customer's
    own, so that one storefront's customers do not share a single client budget.

    An anonymous visitor's token spends the budget of its source `address` at its client:
    visitors elsewhere keep theirs, and minting more visitor tokens from one address (which
    anyone can, with the public client id) buys no more requests."""
    holder = f"{principal.tenant}\x1f{principal.client_id}"
    if principal.customer_id is not None:
        holder += f"\x1fcustomer\x1f{principal.customer_id}"
    elif principal.is_visitor:
        holder += f"\x1fvisitor\x1f{address}"
    return holder


class ClientRateThrottle(BaseThrottle):
    """Allows each budget holder (see `budget_holder`) the "client" rate per window.

    The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["client"]` (env `API_RATE_LIMIT`),
    read on every request so `override_settings` applies; without it, `DEFAULT_CLIENT_RATE`.
    Windows are aligned on the clock (a minute starts at :00), so every worker counts into
    the same cache entry, atomically and in leases (`_spend`): one small integer per holder
    and window, never a request history. Requests without a principal (refused by
    authentication first anyway) are not counted. A refused request raises `Throttled`,
    which the exception handler answers 429 with `Retry-After` (the window's end).
    """

    scope = "client"
    timer = time.time

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self._wait: float | None = None

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_CLIENT_RATE)

    def parse_rate(self, rate: str) -> tuple[int, int]:
        return parse_rate(rate)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        principal = getattr(request, "user", None)
        if not isinstance(principal, Principal):
            return None
        address = self.get_ident(request) if principal.is_visitor else ""
        return self.holder_key(budget_holder(principal, address or ""))

    def holder_key(self, holder: str) -> str:
        # Hashed: customer ids may hold characters a cache key should not.
        digest = hashlib.blake2b(holder.encode(), digest_size=16).hexdigest()
        return f"throttle:{self.scope}:{digest}"

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        allowed, period = self.parse_rate(self.rate)
        now = self.timer()
        window = int(now // period)
        if _spend(f"{key}:{window}", allowed, timeout=period + 1):
            return True
        self._wait = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return self._wait


def lease_size(allowed: int) -> int:
    """How many requests of a window a worker takes from the shared counter at once:
    `API_RATE_LIMIT_LEASE` at most, and at most 1/LEASE_SHARE of the limit; 1 counts
    every request in the shared counter (one round trip each)."""
    most = int(getattr(settings, "API_RATE_LIMIT_LEASE", 1))
    return max(1, min(most, allowed // LEASE_SHARE))


class Leases:
    """This process's unspent budget per counter (holder and window), bounded: a forgotten
    lease is budget nobody spends, never budget spent twice."""

    SPENT = -1  # the window's budget is gone: refused without asking the cache again

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._left: OrderedDict[str, int] = OrderedDict()
        self._lock = Lock()

    def take(self, counter: str) -> bool | None:
        """True: one request spent from this process's lease; False: the window's budget is
        known to be gone; None: nothing known here, ask the shared counter."""
        with self._lock:
            left = self._left.get(counter)
            if left is None:
                return None
            if left == self.SPENT:
                return False
            if left == 1:
                del self._left[counter]
            else:
                self._left[counter] = left - 1
            return True

    def keep(self, counter: str, left: int) -> None:
        """Remembers `left` requests (or SPENT) of the counter for this process."""
        if left == 0:
            return
        with self._lock:
            self._left[counter] = left
            while len(self._left) > self.size:
                self._left.popitem(last=False)  # the oldest lease goes first

    def forget_all(self) -> None:
        with self._lock:
            self._left.clear()


_leases = Leases()


def _spend(counter: str, allowed: int, *, timeout: int, leases: Leases = _leases) -> bool:
    """Whether one more request fits in the budget of `counter` (`allowed` per window): from
    this process's lease, or else from a new lease taken from the shared counter."""
    known = leases.take(counter)
    if known is not None:
        return known
    size = lease_size(allowed)
    total = _count_request(counter, timeout=timeout, delta=size)
    granted = max(0, min(size, allowed - (total - size)))
    leases.keep(counter, granted - 1 if granted else Leases.SPENT)
    return granted > 0


def forget_leases() -> None:
    """Drops this process's leases (their unspent budget is lost for the window)."""
    _leases.forget_all()


def _count_request(key: str, *, timeout: int, delta: int = 1) -> int:
    """Adds `delta` to the counter at `key` (created with `timeout`) and returns its new value.

    On Redis one round trip: `INCRBY` and `EXPIRE ... NX` pipelined (django-redis's `incr`
    is a Lua script that fails on a missing key, so the window's first request took three).
    Elsewhere `incr` first: after a window's first request that is the one call.
    """
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        name = backend.client.make_key(key)
        pipeline = backend.client.get_client(write=True).pipeline(transaction=False)
        pipeline.incrby(name, delta)
        pipeline.expire(name, timeout, nx=True)
        total, _ = pipeline.execute()
        return int(total)
    try:
        return cache.incr(key, delta)
    except ValueError:
        pass  # the window's first request
    if cache.add(key, delta, timeout):
        return delta
    return cache.incr(key, delta)  # another worker created it between the incr and the add


class AnonymousIssuePerAddressThrottle(ClientRateThrottle):
    """Anonymous token issuance (login and refresh) per source address: the
    "anonymous_address" rate (env `ANONYMOUS_TOKEN_RATE_PER_ADDRESS`). The address is DRF's
    `get_ident`, which trusts `NUM_PROXIES` proxies' X-Forwarded-For entries and no more."""

    scope = "anonymous_address"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.holder_key(self.get_ident(request) or "")


class AnonymousIssuePerClientThrottle(ClientRateThrottle):
    """Anonymous token issuance per storefront client, as the request names it (tenant and
    `client_id`, known or not): the "anonymous_client" rate (env
    `ANONYMOUS_TOKEN_RATE_PER_CLIENT`)."""

    scope = "anonymous_client"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        params = request.query_params
        return self.holder_key(f"{params.get('tenant', '')}\x1f{params.get('client_id', '')}")
