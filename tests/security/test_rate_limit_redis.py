"""The rate limit's counter on Redis (production's cache): one round trip per lease,
`INCRBY` and `EXPIRE ... NX` pipelined, the window's expiry set once.

Needs Redis on 127.0.0.1:6379 (as `tests/bench/test_bench_smoke.py`); keys under a prefix
of their own, in database 15."""

from __future__ import annotations

import socket
import uuid

import pytest
import redis
from django.core.cache import cache

from segments_project.api import throttling
from segments_project.api.throttling import Leases, _count_request, _spend

REDIS_URL = "redis://127.0.0.1:6379/15"


def _reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def on_redis(settings):
    """The default cache is django-redis, as in production; the round trips counted."""
    if not _reachable():
        pytest.skip("Redis is not reachable")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    cache.client.get_client(write=True).ping()  # the connection's own handshake, uncounted
    sent: list[bytes] = []
    real = redis.connection.Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return real(self, command, check_health)

    redis.connection.Connection.send_packed_command = counting
    try:
        yield sent
    finally:
        redis.connection.Connection.send_packed_command = real
        cache.clear()


def _packed(command: bytes | list[bytes]) -> bytes:
    return command if isinstance(command, bytes) else b"".join(command)


def _raw_ttl(key: str) -> int:
    return cache.client.get_client(write=True).ttl(cache.client.make_key(key))


def test_a_new_windows_counter_takes_one_round_trip_and_gets_its_expiry(on_redis):
    assert _count_request("throttle:new:1", timeout=61, delta=20) == 20

    assert len(on_redis) == 1
    assert b"EVAL" not in _packed(on_redis[0]).upper()
    assert 0 < _raw_ttl("throttle:new:1") <= 61
    assert cache.get("throttle:new:1") == 20


def test_the_expiry_is_set_once_per_window(on_redis):
    _count_request("throttle:once:1", timeout=61)

    assert _count_request("throttle:once:1", timeout=3600, delta=5) == 6
    assert len(on_redis) == 2
    assert _raw_ttl("throttle:once:1") <= 61


def test_workers_on_redis_never_admit_more_than_the_limit(on_redis, settings):
    settings.API_RATE_LIMIT_LEASE = 20
    workers = [Leases(), Leases(), Leases()]

    answers = [
        _spend("throttle:shared:1", 4000, timeout=61, leases=workers[i % 3]) for i in range(4100)
    ]

    assert answers.count(True) <= 4000
    assert answers.index(False) >= 4000 - 2 * (throttling.lease_size(4000) - 1)
    # One round trip per lease of 20 (and one for each worker's refusal), not per request.
    assert len(on_redis) <= 4000 // 20 + 3 + 3
