"""The hook through which the customer directory vouches for customer-token subjects.

Tenancy sits below every other app, so it cannot import the customer directory; the
app that owns customers registers a checker here from its `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable

# (tenant, customer_id, legal_entity_id or None) -> an error message, or None when valid.
CustomerChecker = Callable[[str, str, str | None], str | None]

_checker: CustomerChecker | None = None


def register_customer_checker(checker: CustomerChecker) -> None:
    global _checker
    _checker = checker


def check_customer(tenant: str, customer_id: str, legal_entity_id: str | None) -> str | None:
    """Why a token may not be issued for this customer, or None when it may."""
    if _checker is None:
        return None
    return _checker(tenant, customer_id, legal_entity_id)
