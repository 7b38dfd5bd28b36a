"""Token lifetimes, imported by the settings (so no model imports here)."""

from __future__ import annotations

from typing import Any


def access_token_lifetime(request: Any) -> int:
    """Seconds a new token lives: customer-bound tokens are short-lived."""
    from django.conf import settings

    if getattr(request, "customer_id", None):
        return settings.CUSTOMER_TOKEN_EXPIRE_SECONDS
    return settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
