"""Cached storefront answers with strong ETags.

An answer is cached under (endpoint, tenant, scope, language, parameters) with the versions
of everything it depends on (`tenancy/versions.py`): the tenant, the customer, and each
segment the customer is assigned to (whatever its status, so that activating one counts),
read before it was computed. It counts only while each of them is current, so a write
invalidates only the answers that draw on what it changed. An answer is never kept past
the next validity boundary of the segments it depends on. The ETag is a hash of the answer
itself, so a 304 is never stale.

With a shared cache a warm read is one round trip: the answer and its versions come in one
`get_many`. The version keys are known only from the answer, so each process remembers
them per answer (`_DEPENDENCIES`) and asks for them with it; only an answer this process
has not seen yet takes a second round trip. Nothing of the request is computed for a hit:
the caller's view (`prepare`: parameters checked, scope, version keys) only on a miss. The
answer key names what that view is made of (the caller and the raw parameters), so a hit
stands for a request that passed the same checks when its answer was computed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from segments_project.tenancy import versions


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    etag: str
    headers: dict[str, str]
    # Version key -> the version the answer was computed at.
    versions: dict[str, int]


@dataclass(frozen=True)
class Dependencies:
    """What an answer draws on beyond the scope's own keys: the segments' version keys,
    and the moment it must expire (a validity boundary), if any."""

    keys: tuple[str, ...]
    valid_until: datetime | None


@dataclass(frozen=True)
class Computation:
    """How to compute an answer that is not cached: the version keys known before anything
    is read (the tenant's, the customer's), the `dependencies()` read before `compute()`,
    and `compute()` itself, which returns (data, headers)."""

    scope_keys: list[str]
    dependencies: Callable[[], Dependencies]
    compute: Callable[[], tuple[Any, dict[str, str]]]


# Answer key -> the version keys it recorded, as this process last saw them (bounded).
_DEPENDENCIES: dict[str, tuple[str, ...]] = {}
_DEPENDENCIES_SIZE = 50_000


def _cache_key(parts: list[str]) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"storefront-answer:{digest}"


def _remember(key: str, keys: tuple[str, ...]) -> None:
    if len(_DEPENDENCIES) >= _DEPENDENCIES_SIZE:
        _DEPENDENCIES.clear()
    _DEPENDENCIES[key] = keys


def _answer(entry: Any) -> CachedAnswer | None:
    """The entry if it is an answer of this release (one stored by an earlier release, in
    a Redis shared across a deployment, has another shape: a miss)."""
    if isinstance(entry, CachedAnswer) and isinstance(getattr(entry, "versions", None), dict):
        return entry
    return None


def _current(answer: CachedAnswer, versions_now: Mapping[str, Any]) -> bool:
    return all(versions_now.get(key) == value for key, value in answer.versions.items())


def _lookup(tenant: str, key: str) -> tuple[CachedAnswer | None, dict[str, Any]]:
    """The cached answer if it is current, and the cache's entries fetched on the way
    (shared cache; without one, the versions are read from the rows)."""
    if not settings.CACHE_SHARED_BY_PROCESSES:
        # The answers are this process's own (no round trip); the versions come from
        # the rows, in one query.
        answer = _answer(cache.get(key))
        if answer is None:
            return None, {}
        return _checked(answer, versions.published_versions(tenant, answer.versions, {})), {}
    remembered = _DEPENDENCIES.get(key, ())
    found = cache.get_many([key, *(versions.cache_key(tenant, name) for name in remembered)])
    answer = _answer(found.get(key))
    if answer is None:
        return None, found
    if set(answer.versions) - set(remembered):
        # Computed by another process, or with other segments than remembered.
        unknown = [versions.cache_key(tenant, name) for name in answer.versions]
        found = {**found, **cache.get_many([name for name in unknown if name not in found])}
        _remember(key, tuple(answer.versions))
    return _checked(answer, versions.published_versions(tenant, answer.versions, found)), found


def _checked(answer: CachedAnswer | None, versions_now: Mapping[str, Any]) -> CachedAnswer | None:
    return answer if answer is not None and _current(answer, versions_now) else None


def cached_answer(
    tenant: str, parts: list[str], prepare: Callable[[], Computation]
) -> CachedAnswer:
    """The cached answer for `parts` if every version it recorded is current, or else the
    answer of `prepare()`'s computation, stored for later.

    `parts` must name everything the answer depends on that `prepare` reads from the
    request (the caller, the parameters, the languages): a hit skips `prepare`, and with
    it the checks it makes."""
    key = _cache_key([tenant, *parts])
    answer, found = _lookup(tenant, key)
    if answer is not None:
        return answer
    computation = prepare()
    # Every version is read before the data it guards, so an answer computed from a
    # snapshot older than a write records a version older than that write's.
    recorded = versions.read_versions(tenant, computation.scope_keys, found)
    depends = computation.dependencies()
    recorded.update(versions.read_versions(tenant, depends.keys, {}))
    data, headers = computation.compute()
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    answer = CachedAnswer(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        headers=headers,
        versions=recorded,
    )
    timeout = settings.STOREFRONT_CACHE_SECONDS
    if depends.valid_until is not None:
        timeout = min(timeout, (depends.valid_until - timezone.now()).total_seconds())
    if timeout >= 1:
        cache.set(key, answer, int(timeout))
        if settings.CACHE_SHARED_BY_PROCESSES:
            _remember(key, tuple(recorded))
    return answer


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates
