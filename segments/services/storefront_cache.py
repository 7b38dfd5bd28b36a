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

Compression: a body of at least `STOREFRONT_GZIP_MIN_BYTES` (1 KB) is gzip-compressed once,
when the answer is computed, and stored compressed only (`CachedAnswer.gzipped`); a smaller
one is stored and always served as it is. A client whose Accept-Encoding accepts gzip
(`accepts_gzip`) gets the stored bytes with `Content-Encoding: gzip`; any other client (no
header, `gzip;q=0`, another coding) gets the identity body, decompressed per request, the
same bytes as if it had never been compressed (`CachedAnswer.representation`). Both forms come
from the one entry, so a write invalidates them together. Each form has its own strong
ETag: the identity one is the hash of the identity body, the gzip one the same with
`-gzip` inside the quotes (RFC 9110 8.8.3: another representation, another strong ETag);
If-None-Match is compared with the ETag of the form being served.

Why the compressed body only, not both (timed in-process on a 180 KB tree answer shaped
like the benchmark's, which compresses to 16 KB at level 6; a warm hit fetched through the
Lua script from a local Redis): compressing per request would cost 1.5 ms of the worker's
CPU (level 6; 5.2 ms at level 9 for 7% fewer bytes, 0.4 ms at level 1 for 28% more), more
than the whole warm hit, hence once at store time. Decompressing for an identity client
costs 0.34 ms. Storing both makes Redis copy the whole 196 KB entry into the script on
every hit: a gzip hit took 0.45 ms against 0.11-0.20 ms for the compressed-only entry, and
even an identity hit took 0.66-0.74 ms against 0.28-0.46 ms for the compressed entry plus
decompression; and it holds 12 times the memory (196 KB against 16 KB per answer). So the
compressed body alone is cheaper for both kinds of client, Redis stays one command with an
unchanged script, and most clients (browsers, CDNs, HTTP libraries all send gzip) pay
nothing. Level 6 (`GZIP_LEVEL`) is zlib's default trade-off, paid once per computed answer.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.utils import timezone
from django_redis.cache import RedisCache
from redis.exceptions import RedisError

from segments_project.tenancy import versions

# zlib's default level: a fifth of level 9's time for 7% more bytes, paid once per answer.
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Representation:
    """The bytes served to one client, their strong ETag and their Content-Encoding."""

    body: bytes
    etag: str
    content_encoding: str | None


@dataclass(frozen=True)
class CachedAnswer:
    # The identity body, or its gzip compression when `gzipped`.
    body: bytes
    # The strong ETag of the identity body (`gzip_etag` makes the compressed form's).
    etag: str
    headers: dict[str, str]
    # Version key -> the version the answer was computed at.
    versions: dict[str, int]
    gzipped: bool = False

    def representation(self, accepts_gzip: bool) -> Representation:
        """What a client gets: the compressed body if it accepts gzip and the body is
        stored so, else the identity body (decompressed if need be)."""
        if not self.gzipped:
            return Representation(self.body, self.etag, None)
        if accepts_gzip:
            return Representation(self.body, gzip_etag(self.etag), "gzip")
        return Representation(gzip.decompress(self.body), self.etag, None)


def gzip_etag(etag: str) -> str:
    """The strong ETag of the gzip form of the representation tagged `etag`."""
    return f'{etag[:-1]}-gzip"' if etag.endswith('"') else f"{etag}-gzip"


# An Accept-Encoding member: a coding, then parameters (only q counts).
_CODING = re.compile(r"^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(;.*)?$", re.DOTALL)
_QVALUE = re.compile(r"^\s*q\s*=\s*(0(\.[0-9]{0,3})?|1(\.0{0,3})?)\s*$", re.IGNORECASE)


@lru_cache(maxsize=1024)  # the few distinct headers parsed once per process
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header accepts gzip (RFC 9110 12.5.3): `gzip` (or its
    alias `x-gzip`) with a weight above 0, or, if neither is listed, `*` with one. A member
    whose weight is malformed accepts nothing."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for member in accept_encoding.split(","):
        matched = _CODING.match(member)
        if matched is None:
            continue
        weight = 1.0
        for parameter in (matched.group(2) or "").split(";")[1:]:
            if parameter.partition("=")[0].strip().lower() == "q":
                qvalue = _QVALUE.match(parameter)
                weight = float(qvalue.group(1)) if qvalue else 0.0
        coding = matched.group(1).lower()
        weights[coding] = max(weight, weights.get(coding, 0.0))
    for coding in ("gzip", "x-gzip"):
        if coding in weights:
            return weights[coding] > 0
    return weights.get("*", 0.0) > 0


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


# Named in every answer key: an entry of an earlier release (an identity body without the
# `gzipped` mark) is never read by this one, nor one of this release by an earlier one.
_ENTRY_FORMAT = "gzip-1"


def _cache_key(parts: list[str]) -> str:
    digest = hashlib.sha256("\x1f".join([_ENTRY_FORMAT, *parts]).encode()).hexdigest()
    return f"storefront-answer:{digest}"


# On Redis an answer is stored as three parts, the first two single lines of JSON (which
# never holds a raw newline): [[version key, ...], [version, ...]] with the keys as Redis
# names them and the versions as Redis holds them (decimal text); {"etag", "headers"} and
# `"gzip": true` when the body is stored compressed; and the body's bytes. Its own key
# differs from the other caches' entries, so an entry of an earlier release (a pickled
# CachedAnswer) is never read as one.
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
# Per thread: (the client's pool, the process id, a connection of its own for the lookup).
_lookup_connections = threading.local()


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
    reply = _evalsha(client, script, str(backend.client.make_key(_REDIS_KEY_PREFIX + key)))
    if not reply:
        return None
    newline = reply.index(b"\n")
    meta = json.loads(reply[:newline])
    return CachedAnswer(
        body=reply[newline + 1 :],
        etag=meta["etag"],
        headers=meta["headers"],
        versions={},
        gzipped=meta.get("gzip") is True,
    )


def _evalsha(client: Any, script: Any, name: str) -> Any:
    """`script(keys=[name])` sent on this thread's own connection and read from it directly:
    redis-py's command path (its pool, retry and instrumentation layers) cost a warm hit
    about as much CPU again as the round trip itself. Any error drops that connection and
    runs the script the ordinary way, which loads it if Redis has forgotten it and retries
    a broken connection as every other command does."""
    pool = client.connection_pool
    held = getattr(_lookup_connections, "held", None)
    if held is None or held[0] is not pool or held[1] != os.getpid():
        # Never a connection of the pool's (its users may hold it) nor of a parent process.
        held = (pool, os.getpid(), pool.connection_class(**pool.connection_kwargs))
        _lookup_connections.held = held
    connection = held[2]
    try:
        connection.send_packed_command([_evalsha_command(script.sha, name)], check_health=False)
        return connection.read_response()
    except RedisError:
        connection.disconnect()
        return script(keys=[name], client=client)


def _evalsha_command(sha: str, name: str) -> bytes:
    """`EVALSHA <sha> 1 <name>` in Redis's protocol (RESP), as `pack_command` packs it
    with a quarter of the work."""
    key = name.encode()
    return b"*4\r\n$7\r\nEVALSHA\r\n$%d\r\n%s\r\n$1\r\n1\r\n$%d\r\n%s\r\n" % (
        len(sha),
        sha.encode(),
        len(key),
        key,
    )


def _redis_store(
    backend: RedisCache, tenant: str, key: str, answer: CachedAnswer, timeout: int
) -> None:
    names = [
        str(backend.client.make_key(versions.cache_key(tenant, name))) for name in answer.versions
    ]
    recorded = [names, [str(int(value)) for value in answer.versions.values()]]
    meta: dict[str, Any] = {"etag": answer.etag, "headers": answer.headers}
    if answer.gzipped:
        meta["gzip"] = True
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


def cached_hit(tenant: str, parts: list[str]) -> CachedAnswer | None:
    """The cached answer for `parts` if every version it recorded is current, else None
    (`cached_answer` without computing on a miss)."""
    return _lookup(tenant, _cache_key([tenant, *parts]))[0]


def cached_answer(
    tenant: str, parts: list[str], prepare: Callable[[], Computation], *, missed: bool = False
) -> CachedAnswer:
    """The cached answer for `parts` if every version it recorded is current, or else the
    answer of `prepare()`'s computation, stored for later. `missed`: the caller has just
    looked it up (`cached_hit`) and found none, so it is computed without a second look.

    `parts` must name everything the answer depends on that `prepare` reads from the
    request (the caller, the parameters, the languages): a hit skips `prepare`, and with
    it the checks it makes."""
    key = _cache_key([tenant, *parts])
    answer, found = (None, {}) if missed else _lookup(tenant, key)
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
    gzipped = len(body) >= settings.STOREFRONT_GZIP_MIN_BYTES
    answer = CachedAnswer(
        # mtime 0: the same answer compresses to the same bytes in every process.
        body=gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0) if gzipped else body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        headers=headers,
        versions=recorded,
        gzipped=gzipped,
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
