"""Sends storefront reads to the read replica, everything else to the primary.

Storefront views mark their work as replica-safe (`replica_reads_begin` ...
`replica_reads_end`); a caller that wrote within the last `READ_YOUR_WRITES_SECONDS` is
kept on the primary, so it reads its own writes whatever the replica's lag. Without a
`replica` database alias this router routes nothing.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.core.cache import cache

REPLICA = "replica"

_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)


def _recent_write_key(tenant: str, client_id: str) -> str:
    return f"wrote:{tenant}:{client_id}"


def note_write(*, tenant: str, client_id: str) -> None:
    """Remembers that the client just wrote, so its next reads go to the primary."""
    if settings.STOREFRONT_READS_FROM_REPLICA:
        cache.set(_recent_write_key(tenant, client_id), True, settings.READ_YOUR_WRITES_SECONDS)


def wrote_recently(*, tenant: str, client_id: str) -> bool:
    return settings.STOREFRONT_READS_FROM_REPLICA and bool(
        cache.get(_recent_write_key(tenant, client_id))
    )


def replica_reads_begin(allowed: bool) -> Token[bool]:
    """Lets (or not) the current request's reads go to the replica until `replica_reads_end`."""
    return _replica_allowed.set(allowed)


def replica_reads_end(token: Token[bool]) -> None:
    _replica_allowed.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _replica_allowed.get() and settings.STOREFRONT_READS_FROM_REPLICA:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
