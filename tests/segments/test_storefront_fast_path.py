"""A warm storefront GET is served before DRF's request cycle (`served_from_cache`), with
the very answer, headers and refusals the cycle gives."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.views import APIView

from segments.api.storefront_views import StorefrontView
from segments_project.tenancy import scopes

from ..catalog.factories import make_category
from ..conftest import OTHER_TENANT, TENANT, Caller
from ..tenancy.visitors import visitor
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

OWN = frozenset({scopes.SEGMENT_READ_OWN, scopes.CUSTOMER_TOKEN_ISSUE})

BASE = f"/customer-segment/{TENANT}"
PATHS = [
    f"{BASE}/segments/items?siteCode=main",
    f"{BASE}/segments/items/category-trees?siteCode=main",
    f"{BASE}/me/segments?siteCode=main",
]


@pytest.fixture(params=["default", "redis"])
def any_cache(request, settings):
    """Each test on the test settings' cache and on Redis, with tokens remembered."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    settings.ACCESS_TOKEN_CACHE_SECONDS = 5
    settings.STOREFRONT_GZIP_MIN_BYTES = 1  # every answer stored compressed: both forms


@pytest.fixture
def shop(db):
    tools = make_category(TENANT, "tools")
    gold = make_segment(TENANT, "gold")
    assign_item(gold, make_category(TENANT, "power", parent=tools))
    assign_customer(gold, make_customer(TENANT, "c1"))
    return gold


@pytest.fixture
def shopper(issue_token, shop) -> Caller:
    return Caller(issue_token(granted=OWN, customer_id="c1"))


def _through_the_cycle(monkeypatch) -> None:
    monkeypatch.setattr(StorefrontView, "served_from_cache", lambda self, request, kwargs: None)


@pytest.mark.parametrize("path", PATHS)
def test_a_warm_read_is_answered_before_the_cycle(any_cache, shopper, monkeypatch, path):
    first = shopper.get(path)
    monkeypatch.setattr(APIView, "initial", _raises)

    again = shopper.get(path)

    assert (again.status_code, again.content) == (200, first.content)


def _raises(*args, **kwargs):
    raise AssertionError("DRF's request cycle ran")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("encoding", ["gzip", ""], ids=["gzip", "identity"])
@pytest.mark.parametrize("conditional", [False, True], ids=["200", "304"])
def test_the_answer_and_every_header_are_the_cycle_s(
    any_cache, shopper, monkeypatch, path, encoding, conditional
):
    headers = {"Accept-Encoding": encoding, "Accept-Language": "en", "X-Total-Count": "true"}
    first = shopper.get(path, headers=headers)
    if conditional:
        headers["If-None-Match"] = first["ETag"]

    fast = shopper.get(path, headers=headers)
    _through_the_cycle(monkeypatch)
    cycle = shopper.get(path, headers=headers)

    assert fast.status_code == cycle.status_code == (304 if conditional else 200)
    assert fast.content == cycle.content
    assert dict(fast.headers) == dict(cycle.headers)
    assert fast.get("Content-Encoding") == (encoding or None if not conditional else None)


def test_a_visitor_and_a_reader_naming_a_customer_are_served_before_the_cycle_too(
    any_cache, shop, issue_token, monkeypatch
):
    reader = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))
    callers = [(visitor(), PATHS[1]), (reader, f"{PATHS[0]}&customerId=c1")]
    firsts = [caller.get(path) for caller, path in callers]
    monkeypatch.setattr(APIView, "initial", _raises)

    for (caller, path), first in zip(callers, firsts, strict=True):
        again = caller.get(path)
        assert (again.status_code, again.content) == (200, first.content)


@pytest.mark.parametrize(
    ("headers", "tenant", "status"),
    [
        ({"Emporix-Tenant": OTHER_TENANT}, TENANT, 400),
        ({}, OTHER_TENANT, 403),
        ({"Authorization": "Bearer not-a-token"}, TENANT, 401),
        ({"Authorization": "Bearer two parts"}, TENANT, 401),
        ({"Authorization": ""}, TENANT, 401),
    ],
    ids=["header-tenant", "other-tenant", "unknown-token", "malformed", "no-token"],
)
def test_a_refused_request_is_refused_as_by_the_cycle_even_when_its_answer_is_warm(
    any_cache, shopper, monkeypatch, headers, tenant, status
):
    make_customer(OTHER_TENANT, "c1")
    path = f"/customer-segment/{tenant}/me/segments?siteCode=main"
    assert shopper.get(f"{BASE}/me/segments?siteCode=main").status_code == 200

    fast = shopper.get(path, headers=headers, check_schema=False)
    _through_the_cycle(monkeypatch)
    cycle = shopper.get(path, headers=headers, check_schema=False)

    assert fast.status_code == cycle.status_code == status
    assert (fast.content, dict(fast.headers)) == (cycle.content, dict(cycle.headers))


def test_a_token_without_the_operation_s_scope_is_refused_on_a_warm_answer(
    any_cache, shop, issue_token
):
    path = f"{BASE}/me/segments?siteCode=main"
    owner = Caller(issue_token(granted=OWN, customer_id="c1"))
    assert owner.get(path).status_code == 200
    # The same customer's view (the same answer key), by a token without the scope.
    other = Caller(issue_token(granted=OWN, customer_id="c1", scope=scopes.COUPON_REDEEM))

    refused = other.get(path, check_schema=False)

    assert refused.status_code == 403
    assert f"missing scope: {scopes.SEGMENT_READ_OWN}" in str(refused.json())


def test_the_rate_limit_counts_a_warm_read_once_and_refuses_it_with_429(
    any_cache, shopper, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
    }
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["client"] = "3/min"
    path = PATHS[2]

    statuses = [shopper.get(path, check_schema=False).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]  # a miss, two warm reads, then refused
    refused = shopper.get(path, check_schema=False)
    assert (refused.status_code, int(refused["Retry-After"]) > 0) == (429, True)


def test_a_miss_is_looked_up_once(shopper, settings, redis_commands):
    settings.ACCESS_TOKEN_CACHE_SECONDS = 5
    shopper.get(PATHS[0])  # the token remembered
    cache.delete_pattern("*storefront-answer*")
    redis_commands.clear()

    assert shopper.get(PATHS[0]).status_code == 200

    names = [command.split(b"\r\n")[2].upper() for command in redis_commands]
    assert names.count(b"EVALSHA") == 1
    assert b"SET" in names  # computed and stored


def test_the_lookup_survives_a_forgotten_script_and_a_dropped_connection(
    shopper, settings, redis_cache
):
    settings.ACCESS_TOKEN_CACHE_SECONDS = 5
    first = shopper.get(PATHS[1])
    client = cache.client.get_client(write=True)

    client.script_flush()
    after_flush = shopper.get(PATHS[1])
    client.client_kill_filter(_type="normal", skipme=True)
    after_kill = shopper.get(PATHS[1])

    assert after_flush.content == after_kill.content == first.content


def test_a_repeated_parameter_in_another_order_is_another_answer(any_cache, shop, issue_token):
    """The last value of a repeated parameter is the one read, so the order matters: the
    key holds the query string as sent (sorted pairs gave both orders one key)."""
    make_customer(TENANT, "c2")  # a member of nothing
    reader = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))
    me = f"{BASE}/me/segments?siteCode=main"

    c2_last = reader.get(f"{me}&customerId=c1&customerId=c2")
    c1_last = reader.get(f"{me}&customerId=c2&customerId=c1")

    assert c2_last.content == reader.get(f"{me}&customerId=c2").content
    assert c1_last.content == reader.get(f"{me}&customerId=c1").content
    assert c1_last.content != c2_last.content


def test_the_lookup_command_is_packed_as_redis_py_packs_it():
    from redis.connection import Connection

    from segments.services.storefront_cache import _evalsha_command

    name = "prefix:1:storefront-answer-r:storefront-answer:é"
    expected = b"".join(Connection().pack_command("EVALSHA", "a1" * 20, 1, name))

    assert _evalsha_command("a1" * 20, name) == expected


def test_a_forked_process_looks_up_on_a_connection_of_its_own(
    shopper, settings, redis_cache, monkeypatch
):
    """The lookup's connection is never shared with a parent process (a gunicorn worker
    forked after it was made): another process id, another connection."""
    from segments.services import storefront_cache

    settings.ACCESS_TOKEN_CACHE_SECONDS = 5
    first = shopper.get(PATHS[2])
    shopper.get(PATHS[2])
    parents = storefront_cache._lookup_connections.held[2]
    monkeypatch.setattr(storefront_cache.os, "getpid", lambda: -1)

    again = shopper.get(PATHS[2])

    assert again.content == first.content
    assert storefront_cache._lookup_connections.held[2] is not parents
