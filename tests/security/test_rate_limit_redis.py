"""The rate limit's counter on Redis (production's cache): one round trip per lease,
`INCRBY` and `EXPIRE ... NX` pipelined, the window's expiry set once.

Needs Redis on 127.0.0.1:6379 (as `tests/bench/test_bench_smoke.py`); keys under a prefix
of their own, in database 15."""

from __future__ import annotations

from django.core.cache import cache

from segments_project.api import throttling
from segments_project.api.throttling import Leases, _count_request, _spend


def _packed(command: bytes | list[bytes]) -> bytes:
    return command if isinstance(command, bytes) else b"".join(command)


def _raw_ttl(key: str) -> int:
    return cache.client.get_client(write=True).ttl(cache.client.make_key(key))


def test_a_new_windows_counter_takes_one_round_trip_and_gets_its_expiry(redis_commands):
    assert _count_request("throttle:new:1", timeout=61, delta=20) == 20

    assert len(redis_commands) == 1
    assert b"EVAL" not in _packed(redis_commands[0]).upper()
    assert 0 < _raw_ttl("throttle:new:1") <= 61
    assert cache.get("throttle:new:1") == 20


def test_the_expiry_is_set_once_per_window(redis_commands):
    _count_request("throttle:once:1", timeout=61)

    assert _count_request("throttle:once:1", timeout=3600, delta=5) == 6
    assert len(redis_commands) == 2
    assert _raw_ttl("throttle:once:1") <= 61


def test_workers_redis_commands_never_admit_more_than_the_limit(redis_commands, settings):
    settings.API_RATE_LIMIT_LEASE = 20
    workers = [Leases(), Leases(), Leases()]

    answers = [
        _spend("throttle:shared:1", 4000, timeout=61, leases=workers[i % 3]) for i in range(4100)
    ]

    assert answers.count(True) <= 4000
    assert answers.index(False) >= 4000 - 2 * (throttling.lease_size(4000) - 1)
    # One round trip per lease of 20 (and one for each worker's refusal), not per request.
    assert len(redis_commands) <= 4000 // 20 + 3 + 3
