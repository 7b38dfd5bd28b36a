"""Versions of what storefront answers are made of, so that a write invalidates only the
answers it can change.

A cached storefront answer records the version of every key it depends on, read before it
was computed:

- `TENANT` ("t"): everything of the tenant (imports, the data generator, repairs);
- `customer_key(id)` ("c:<public id>"): the customer's memberships (B2C and for its legal
  entities) and its links to legal entities;
- `segment_key(pk)` ("s:<pk>"): the segment's own fields and its item assignments;
- `segment_key(pk, ITEMS_SHOWN)` ("i:<pk>"): the catalog rows assigned to it (their names
  in `segments/items`); `segment_key(pk, TREE)` ("tree:<pk>"): the categories around those
  assigned (ancestors and subtrees, in category trees); `segment_key(pk, GRAFTED)`
  ("g:<pk>"): the categories of its products (trees with `includeProductCategories`). A
  catalog write names the segments it reaches, per aspect;
- `ALL_SEGMENTS` ("S"): any segment, for the answers of a tenant-wide reader.

A write marks keys changed (`customers_changed`, `segments_changed`, `content_changed`);
the new versions are published right after the commit, before the write's call returns.
An answer counts only while every version it recorded is still current. A reader that
raced a commit recorded the versions it read before computing (from the snapshot before
the commit), which the publication replaces: no later read accepts that answer.

Where the versions live: with a cache shared by the processes (Redis), in the cache, read
in the same round trip as the answer; each is a random token, replaced (`set_many`) on a
change and, when missing (evicted, flushed), started anew with `add`, so an answer that
recorded an earlier token is never valid again. Without a shared cache each process keeps
its own answers, and the versions are rows of `StorefrontVersion`, read in one query.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from segments_project.db.after_commit import on_commit_once

from .models import StorefrontVersion

TENANT = "t"
ALL_SEGMENTS = "S"
# The aspects of a segment an answer can depend on (see above).
SEGMENT, ITEMS_SHOWN, TREE, GRAFTED = "s", "i", "tree", "g"
# A membership write of more customers than this marks the whole tenant changed: one key
# instead of a key per customer (a rule's first evaluation, a bulk load).
CUSTOMER_KEYS_LIMIT = 10_000


def customer_key(customer_id: str) -> str:
    return f"c:{customer_id}"


def segment_key(segment_pk: int, aspect: str = SEGMENT) -> str:
    return f"{aspect}:{segment_pk}"


def cache_key(tenant: str, key: str) -> str:
    """The cache key of one version of the tenant (shared cache only)."""
    return f"sv:{tenant}:{key}"


def _token() -> int:
    return secrets.randbits(62) + 1


def read_versions(tenant: str, keys: Iterable[str], found: Mapping[str, Any]) -> dict[str, int]:
    """The current versions of `keys`. With a shared cache they are taken from `found` (a
    `get_many` that asked for their `cache_key`s) or fetched in one more round trip, and a
    missing one is started anew; otherwise they are read from the rows in one query (a
    key never changed is 0)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    if not settings.CACHE_SHARED_BY_PROCESSES:
        rows = StorefrontVersion.objects.filter(tenant_id=tenant, key__in=keys)
        versions = dict.fromkeys(keys, 0)
        versions.update(rows.values_list("key", "value"))
        return versions
    names = {key: cache_key(tenant, key) for key in keys}
    absent = [name for name in names.values() if name not in found]
    if absent:
        found = {**found, **cache.get_many(absent)}
    versions = {}
    for key, name in names.items():
        value = found.get(name)
        if value is None:
            candidate = _token()
            # `add`, never `set`: a writer's token published meanwhile wins.
            value = candidate if cache.add(name, candidate, None) else cache.get(name)
            value = candidate if value is None else value
        versions[key] = int(value)
    return versions


def published_versions(tenant: str, keys: Iterable[str], found: Mapping[str, Any]) -> dict:
    """The versions of `keys` that `found` holds (shared cache) or the rows hold (one
    query), without starting missing ones: for checking a cached answer."""
    keys = list(dict.fromkeys(keys))
    if not settings.CACHE_SHARED_BY_PROCESSES:
        return read_versions(tenant, keys, found)
    names = {key: cache_key(tenant, key) for key in keys}
    return {key: found[name] for key, name in names.items() if name in found}


def publish(tenant: str, keys: Iterable[str]) -> None:
    """Gives every key a new version now (after the commit of the write that changed it)."""
    keys = sorted(set(keys))
    if not keys:
        return
    if settings.CACHE_SHARED_BY_PROCESSES:
        cache.set_many({cache_key(tenant, key): _token() for key in keys}, None)
        return
    StorefrontVersion.objects.bulk_create(
        [StorefrontVersion(tenant_id=tenant, key=key, value=_token()) for key in keys],
        update_conflicts=True,
        unique_fields=["tenant", "key"],
        update_fields=["value", "modified_at"],
        batch_size=1000,
    )


class _Publication:
    """The keys of one tenant a transaction (at one savepoint depth) changed, published
    after its commit."""

    def __init__(self, tenant: str, keys: set[str]) -> None:
        self.tenant = tenant
        self.keys = keys

    def __call__(self) -> None:
        publish(self.tenant, self.keys)


def mark_changed(*, tenant: str, keys: Iterable[str]) -> None:
    """Publishes new versions of `keys` once the current transaction commits.

    Once per tenant and transaction: a write that changes customers and, through the rules,
    memberships marks keys twice, and each publication is a round trip (without a shared
    cache an upsert committed on its own). Keys join a publication of the same savepoints
    only: it runs or is discarded with this call's work.
    """
    keys = set(keys)
    if not keys:
        return

    def joins(pending: _Publication) -> bool:
        if pending.tenant != tenant:
            return False
        pending.keys |= keys
        return True

    on_commit_once(_Publication, joins, lambda: _Publication(tenant, keys))


def content_changed(*, tenant: str) -> None:
    """Marks every storefront answer of the tenant stale once the transaction commits."""
    mark_changed(tenant=tenant, keys=[TENANT])


def customers_changed(*, tenant: str, customer_ids: Iterable[str]) -> None:
    """Marks the answers of these customers (by public id, with any legal entity) stale."""
    keys = {customer_key(customer_id) for customer_id in customer_ids}
    if len(keys) > CUSTOMER_KEYS_LIMIT:
        keys = {TENANT}
    mark_changed(tenant=tenant, keys=keys)


def segments_changed(
    *,
    tenant: str,
    segment_pks: Iterable[int] = (),
    items_shown: Iterable[int] = (),
    trees: Iterable[int] = (),
    grafted: Iterable[int] = (),
) -> None:
    """Marks the answers that draw on these segments stale (those of their members, and
    of tenant-wide readers): everything of `segment_pks`, one aspect of the others."""
    keys = {
        segment_key(pk, aspect)
        for aspect, pks in (
            (SEGMENT, segment_pks),
            (ITEMS_SHOWN, items_shown),
            (TREE, trees),
            (GRAFTED, grafted),
        )
        for pk in pks
    }
    if keys:
        mark_changed(tenant=tenant, keys=keys | {ALL_SEGMENTS})


def content_published(tenant: str) -> None:
    """Marks every answer of the tenant stale at once (a write outside any transaction:
    the benchmark's data generator)."""
    publish(tenant, [TENANT])


def content_changed_with_commit(*, tenant: str) -> None:
    """`content_changed` for a transaction about to commit (a bulk load's chunk). Without
    a shared cache the version row is written as the transaction's last statement: it
    commits with one WAL flush where a transaction of its own after the commit takes two.
    The deferred foreign-key checks run first, so that the row, which every such writer
    updates, is locked only while the commit is flushed (`SET CONSTRAINTS` holds until the
    transaction ends)."""
    if settings.CACHE_SHARED_BY_PROCESSES:
        content_changed(tenant=tenant)
        return
    if connection.vendor != "postgresql":
        publish(tenant, [TENANT])
        return
    with connection.cursor() as cursor:
        # One round trip for both statements (the client-side binding cursor allows it).
        cursor.execute(
            f"SET CONSTRAINTS ALL IMMEDIATE; INSERT INTO {StorefrontVersion._meta.db_table}"
            " (tenant_id, key, value, modified_at) VALUES (%s, %s, %s, now())"
            " ON CONFLICT (tenant_id, key) DO UPDATE"
            " SET value = EXCLUDED.value, modified_at = EXCLUDED.modified_at",
            [tenant, TENANT, _token()],
        )
