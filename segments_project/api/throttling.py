"""Per-caller rate limits: a fixed-window request counter per tenant and OAuth client (and,
for customer tokens, per customer), shared by every worker through the default cache
(Redis in production)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from segments_project.tenancy.principal import Principal

DEFAULT_CLIENT_RATE = "6000/min"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
    the same cache entry with an atomic `add` + `incr`: one small integer per holder and
    window, never a request history. Requests without a principal (refused by
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
        count = _count_request(f"{key}:{window}", timeout=period + 1)
        if count <= allowed:
            return True
        self._wait = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return self._wait


def _count_request(key: str, *, timeout: int) -> int:
    """Adds one to the counter at `key` (created with `timeout`) and returns its new value.

    `incr` first: after a window's first request that is the one round trip to the cache.
    """
    try:
        return cache.incr(key)
    except ValueError:
        pass  # the window's first request
    if cache.add(key, 1, timeout):
        return 1
    return cache.incr(key)  # another worker created it between the incr and the add


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
