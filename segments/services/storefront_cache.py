"""Cached storefront answers with strong ETags.

An answer is cached under (endpoint, tenant, scope, language, parameters), tagged with the
tenant's content version it was computed at; both come back in one round trip (`get_many`)
and the answer counts only if its version is the current one. Any committed write advances
the tenant's content version (`tenancy/versions.py`), so the next read computes afresh; an
answer is never kept past the next validity boundary of the segments it depends on. The
ETag is a hash of the answer itself, so a 304 is never stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from segments_project.tenancy.versions import cached_version, version_key


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    etag: str
    headers: dict[str, str]
    version: int


def _cache_key(parts: list[str]) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"storefront-answer:{digest}"


def cached_answer(
    tenant: str,
    parts: list[str],
    compute: Callable[[], tuple[Any, dict[str, str]]],
    *,
    valid_until: Callable[[], datetime | None],
) -> CachedAnswer:
    """The tenant's cached answer for `parts` at its current content version, or
    `compute()`'s (body, headers) stored for later."""
    key = _cache_key([tenant, *parts])
    found = cache.get_many([version_key(tenant), key])
    version = cached_version(tenant, found)
    answer = found.get(key)
    if answer is not None and answer.version == version:
        return answer
    data, headers = compute()
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    answer = CachedAnswer(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        headers=headers,
        version=version,
    )
    timeout = settings.STOREFRONT_CACHE_SECONDS
    boundary = valid_until()
    if boundary is not None:
        timeout = min(timeout, (boundary - timezone.now()).total_seconds())
    if timeout >= 1:
        cache.set(key, answer, int(timeout))
    return answer


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates
