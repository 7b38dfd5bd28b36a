"""Per-client rate limits: one budget per tenant and OAuth client, shared by every worker
through the default cache (Redis in production)."""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from segments_project.tenancy.principal import Principal

DEFAULT_CLIENT_RATE = "6000/min"


class ClientRateThrottle(SimpleRateThrottle):
    """Limits each API client (tenant + client_id) to the "client" rate.

    The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["client"]` (env `API_RATE_LIMIT`),
    read on every request so `override_settings` applies; without it, `DEFAULT_CLIENT_RATE`.
    Requests without a client (refused by authentication first anyway) are not counted.
    Exceeding the rate raises `Throttled`, which the exception handler answers 429 with
    `Retry-After`.
    """

    scope = "client"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_CLIENT_RATE)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        principal = getattr(request, "user", None)
        if not isinstance(principal, Principal):
            return None
        ident = f"{principal.tenant}:{principal.client_id}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
