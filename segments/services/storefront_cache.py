"""Cached storefront answers with strong ETags.

An answer is cached under (endpoint, tenant, scope, language, parameters) with the versions
of everything it depends on (`tenancy/versions.py`): the tenant, the customer, and each
segment the customer is assigned to (whatever its status, so that activating one counts),
read before it was computed. It counts only while each of them is current, so a write
invalidates only the answers that draw on what it changed. An answer is never kept past
the next validity boundary of the segments it depends on. The ETag is a hash of the answer
itself, so a 304 is never stale.

On Redis (production) a warm read is one command: a script run by Redis reads the answer,
the version keys it recorded and their current values, and sends back the answer's ETag,
headers and body only if every version is still the recorded one (`_REDIS_LOOKUP`); the
process does no work per version key and stores the answer's bytes as they are served.
With another shared cache the answer and its versions come in one `get_many`: the version
keys are known only from the answer, so each process remembers them per answer
(`_DEPENDENCIES`) and asks for them with it; only an answer this process has not seen yet
takes a second round trip. Nothing of the request is computed for a hit:
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
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.utils import timezone
from django_redis.cache import RedisCache

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


# On Redis an answer is stored as three parts, the first two single lines of JSON (which
# never holds a raw newline): [[version key, ...], [version, ...]] with the keys as Redis
# names them and the versions as Redis holds them (decimal text); {"etag", "headers"};
# and the body's bytes. Its own key differs from the other caches' entries, so an entry
# of an earlier release (a pickled CachedAnswer) is never read as one.
_REDIS_KEY_PREFIX = "storefront-answer-r:"
# KEYS[1]: the answer. Replies the entry after its first line if every version key it
# recorded holds the recorded version (a missing key holds none: a miss), else nil. The
# version keys are named by the entry itself, so the script reads keys it was not given
# (a single Redis server or a replica of one, not a cluster).
_REDIS_LOOKUP = """
local entry = redis.call('GET', KEYS[1])
if not entry then return false end
local newline = string.find(entry, '\\n', 1, true)
if not newline then return false end
local ok, recorded = pcall(cjson.decode, string.sub(entry, 1, newline - 1))
if not ok or type(recorded) ~= 'table' or type(recorded[1]) ~= 'table'
    or type(recorded[2]) ~= 'table' or #recorded[1] ~= #recorded[2] then
  return false
end
local names, wanted = recorded[1], recorded[2]
for first = 1, #names, 500 do
  local now = redis.call('MGET', unpack(names, first, math.min(first + 499, #names)))
  for offset = 1, #now do
    if now[offset] ~= wanted[first + offset - 1] then return false end
  end
end
return string.sub(entry, newline + 1)
"""
_redis_scripts: dict[int, Any] = {}


def _redis() -> RedisCache | None:
    """The default cache if it is django-redis (the one-command lookup), else None."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    return backend if isinstance(backend, RedisCache) else None


def _redis_lookup(backend: RedisCache, key: str) -> CachedAnswer | None:
    """The answer stored under `key` by `_redis_store` if every version it recorded is
    current: one command, whatever the number of versions."""
    client = backend.client.get_client(write=False)
    script = _redis_scripts.get(id(client))
    if script is None:
        script = _redis_scripts[id(client)] = client.register_script(_REDIS_LOOKUP)
    reply = script(keys=[backend.client.make_key(_REDIS_KEY_PREFIX + key)], client=client)
    if not reply:
        return None
    newline = reply.index(b"\n")
    meta = json.loads(reply[:newline])
    return CachedAnswer(
        body=reply[newline + 1 :], etag=meta["etag"], headers=meta["headers"], versions={}
    )


def _redis_store(
    backend: RedisCache, tenant: str, key: str, answer: CachedAnswer, timeout: int
) -> None:
    names = [
        str(backend.client.make_key(versions.cache_key(tenant, name))) for name in answer.versions
    ]
    recorded = [names, [str(int(value)) for value in answer.versions.values()]]
    meta = {"etag": answer.etag, "headers": answer.headers}
    entry = b"".join(
        (
            json.dumps(recorded, separators=(",", ":")).encode(),
            b"\n",
            json.dumps(meta, separators=(",", ":")).encode(),
            b"\n",
            answer.body,
        )
    )
    client = backend.client.get_client(write=True)
    client.set(backend.client.make_key(_REDIS_KEY_PREFIX + key), entry, ex=timeout)


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
    backend = _redis()
    if backend is not None:
        return _redis_lookup(backend, key), {}
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
        backend = _redis() if settings.CACHE_SHARED_BY_PROCESSES else None
        if backend is not None:
            _redis_store(backend, tenant, key, answer, int(timeout))
        else:
            cache.set(key, answer, int(timeout))
            if settings.CACHE_SHARED_BY_PROCESSES:
                _remember(key, tuple(recorded))
    return answer


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates
