"""The tenant's content version: one counter that every storefront-relevant write bumps.

It is kept twice: in the tenant's row (`Tenant.content_version`, the record of writes) and
in the cache, where the storefront reads it together with its cached answer in one round
trip (`cached_version`). The cache's counter is advanced after the write commits, so an
answer tagged with a version was computed from data at least as new as every write
committed before that version was published.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F

from .models import Tenant


def version_key(tenant: str) -> str:
    """The cache key of the tenant's published content version."""
    return f"content-version:{tenant}"


def cached_version(tenant: str, found: Mapping[str, Any]) -> int:
    """The tenant's published version from `found` (a `get_many` that asked for
    `version_key`), or, when the cache has none (never set, evicted, flushed), a new one;
    the row's version when the cache is not shared by the processes.

    A new counter starts at the clock in nanoseconds, far from any value an earlier counter
    reached (counters advance by one per write), so no answer tagged under an earlier
    counter is ever valid again."""
    if not settings.CACHE_SHARED_BY_PROCESSES:
        # A cache of this process alone (no Redis): the other processes' writes (workers,
        # jobs) advance only their own counter, so the version comes from the row.
        row = Tenant.objects.filter(name=tenant).values_list("content_version", flat=True)
        return row.first() or 0
    key = version_key(tenant)
    version = found.get(key)
    if version is not None:
        return int(version)
    candidate = time.time_ns()
    if cache.add(key, candidate, None):
        return candidate
    current = cache.get(key)  # another worker started it first
    return candidate if current is None else int(current)


def _publish(tenant: str) -> None:
    """Advances the cache's counter (after the commit); without one there is nothing to
    advance: the next reader starts a new one."""
    with contextlib.suppress(ValueError):
        cache.incr(version_key(tenant))


def _bump_row(tenant: str) -> None:
    Tenant.objects.filter(name=tenant).update(content_version=F("content_version") + 1)


def content_published(tenant: str) -> None:
    """Bumps the version in the row and then in the cache (a write outside any transaction:
    the benchmark's data generator)."""
    _bump_row(tenant)
    _publish(tenant)


def content_changed(*, tenant: str) -> None:
    """Marks the tenant's storefront answers stale once the current transaction commits.

    Bumping after commit keeps the tenant row out of every writer's transaction (no lock
    contention between concurrent writers); a reader that raced the commit stored its
    answer under the old version, which no later request asks for.

    Once per tenant and transaction: a write that changes customers and, through the rules,
    memberships calls it twice, and each bump is an UPDATE of the tenant row committed on
    its own (1 to 2 ms). Only a callback of the same savepoint counts: it runs or is
    discarded with this call's work.
    """
    if connection.in_atomic_block:
        savepoints = set(connection.savepoint_ids)
        if any(
            getattr(func, "content_tenant", None) == tenant and sids == savepoints
            for sids, func, _ in connection.run_on_commit
        ):
            return

    def publish() -> None:
        content_published(tenant)

    publish.content_tenant = tenant  # type: ignore[attr-defined]
    transaction.on_commit(publish)


def content_changed_with_commit(*, tenant: str) -> None:
    """Marks the tenant's storefront answers stale as the last statement of the current
    transaction (a bulk load's chunk): it commits with one WAL flush where
    `content_changed` (a transaction of its own after the commit) takes two. The deferred
    foreign-key checks run first, so that the tenant row, which every writer's
    `content_changed` updates, is locked only while the commit is flushed. Only for a
    transaction about to commit (`SET CONSTRAINTS` holds until its end)."""
    transaction.on_commit(lambda: _publish(tenant))
    if connection.vendor != "postgresql":
        _bump_row(tenant)
        return
    with connection.cursor() as cursor:
        # One round trip for both statements (the client-side binding cursor allows it).
        cursor.execute(
            f"SET CONSTRAINTS ALL IMMEDIATE; UPDATE {Tenant._meta.db_table} "
            "SET content_version = content_version + 1 WHERE name = %s",
            [tenant],
        )
