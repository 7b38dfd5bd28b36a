"""Fixtures shared by every test: tenants, API clients, tokens and an API caller."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIClient

from segments_project.api.throttling import forget_leases
from segments_project.checkpoints import Checkpoint, listening
from segments_project.tenancy import scopes, token_cache, versions
from segments_project.tenancy.services import api_client_upsert

from .schema_conformance import assert_conforms

TENANT = "acme"
OTHER_TENANT = "globex"
SECRET = "s3cret-for-tests-only"

MANAGER_SCOPES = frozenset(
    {
        scopes.SEGMENT_MANAGE,
        scopes.SEGMENT_READ,
        scopes.CUSTOMER_TOKEN_ISSUE,
        scopes.CATEGORY_MANAGE,
        scopes.CATEGORY_READ,
        scopes.PRODUCT_MANAGE,
        scopes.PRODUCT_READ,
        scopes.CUSTOMER_MANAGE,
        scopes.CUSTOMER_READ,
        scopes.COUPON_MANAGE,
        scopes.COUPON_READ,
        scopes.COUPON_REDEEM_ON_BEHALF,
        scopes.WEBHOOK_MANAGE,
        scopes.WEBHOOK_READ,
    }
)


class Caller:
    """An API client holding one bearer token; every response is checked against the schema."""

    def __init__(self, token: str | None) -> None:
        self.client = APIClient()
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        check_schema: bool = True,
    ):
        extra = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in (headers or {}).items()
        }
        if self.token is not None:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        data = None
        if body is not None:
            data = body if isinstance(body, bytes | str) else json.dumps(body)
        response = self.client.generic(
            method, path, data=data or "", content_type=content_type, **extra
        )
        if check_schema:
            assert_conforms(method, path, response)
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, body: Any = None, **kwargs):
        return self.request("DELETE", path, body, **kwargs)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached answers are keyed by tenant and content
    version, which repeat from test to test (and so do the rate limit's counters, whose
    leases this process forgets with them)."""
    cache.clear()
    token_cache.forget_all()
    forget_leases()
    yield
    cache.clear()
    token_cache.forget_all()
    forget_leases()


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_cache(settings, monkeypatch) -> Iterator[None]:
    """The default cache is django-redis, shared by the processes, as in production: Redis
    on 127.0.0.1:6379 (database `TEST_REDIS_DB`, 15 unless set), keys under a prefix of the
    test's own, which is all that `cache.clear()` deletes there (never the database)."""
    if not redis_reachable():
        pytest.skip("Redis is not reachable")
    from django_redis.cache import RedisCache

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '15')}",
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.CACHE_SHARED_BY_PROCESSES = True
    monkeypatch.setattr(RedisCache, "clear", lambda self: self.delete_pattern("*"))
    try:
        yield
    finally:
        cache.clear()
        forget_leases()
        token_cache.forget_all()


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, frozenset[str]]]:
    """Every publication of new storefront versions (`tenancy/versions.py`) while the
    test runs, as (tenant, keys); they still take effect."""
    calls: list[tuple[str, frozenset[str]]] = []
    real = versions.publish

    def record(tenant: str, keys) -> None:
        keys = frozenset(keys)
        calls.append((tenant, keys))
        real(tenant, keys)

    monkeypatch.setattr(versions, "publish", record)
    return calls


@pytest.fixture
def on_checkpoint() -> Iterator[Callable[[Checkpoint, Callable[..., None]], None]]:
    """`on_checkpoint(name, listener)`: calls `listener(**context)` whenever production code
    reaches the checkpoint, until the test ends (`segments_project.checkpoints`)."""
    with ExitStack() as stack:

        def listen(name: Checkpoint, listener: Callable[..., None]) -> None:
            stack.enter_context(listening(name, listener))

        yield listen


@pytest.fixture
def pause_at(on_checkpoint) -> Callable[[Checkpoint, float], None]:
    """`pause_at(name, seconds)`: whoever reaches the checkpoint waits there, widening a
    race window (a writer that took no lock would let the others in)."""

    def pause(name: Checkpoint, seconds: float) -> None:
        on_checkpoint(name, lambda **_: time.sleep(seconds))

    return pause


@pytest.fixture
def issue_token(db, client) -> Callable[..., str]:
    """Registers a client of the tenant with the scopes and obtains a token at /oauth/token."""
    counter = iter(range(1_000_000))

    def issue(
        tenant: str = TENANT,
        granted: frozenset[str] = MANAGER_SCOPES,
        *,
        customer_id: str | None = None,
        legal_entity_id: str | None = None,
        scope: str | None = None,
    ) -> str:
        client_id = f"{tenant}-client-{next(counter)}"
        api_client_upsert(tenant=tenant, client_id=client_id, client_secret=SECRET, scopes=granted)
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": SECRET}
        if customer_id is not None:
            form["customer_id"] = customer_id
        if legal_entity_id is not None:
            form["legal_entity_id"] = legal_entity_id
        if scope is not None:
            form["scope"] = scope
        response = client.post("/oauth/token", form)
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return issue


@pytest.fixture
def manager(issue_token) -> Caller:
    """A back-office integration of tenant acme with every manage and read scope."""
    return Caller(issue_token())


@pytest.fixture
def reader(issue_token) -> Caller:
    return Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))


@pytest.fixture
def outsider(issue_token) -> Caller:
    """Every scope, but of another tenant."""
    return Caller(issue_token(OTHER_TENANT))


@pytest.fixture
def anonymous() -> Caller:
    return Caller(None)


@pytest.fixture
def redis_commands(redis_cache) -> Iterator[list[bytes]]:
    """The commands sent to Redis from now on (each packed command, pipelines as one)."""
    cache.client.get_client(write=True).ping()  # the connection's own handshake, uncounted
    sent: list[bytes] = []
    real = redis.connection.Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return real(self, command, check_health)

    redis.connection.Connection.send_packed_command = counting
    try:
        yield sent
    finally:
        redis.connection.Connection.send_packed_command = real
