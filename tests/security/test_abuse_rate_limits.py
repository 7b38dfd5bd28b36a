"""Abuse: rate limits per tenant and client, and per customer for customer tokens, counted
in clock-aligned windows shared by every worker through the cache."""

from __future__ import annotations

import random

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.views import APIView

from segments_project.api import throttling
from segments_project.api.throttling import (
    DEFAULT_CLIENT_RATE,
    ClientRateThrottle,
    Leases,
    _count_request,
    _spend,
    lease_size,
    parse_rate,
)
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes
from segments_project.tenancy.services import api_client_upsert

from ..conftest import MANAGER_SCOPES, SECRET, TENANT, Caller
from ..segments.factories import make_customer

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
OWN_SEGMENTS = f"/customer-segment/{TENANT}/me/segments"
STOREFRONT = "storefront"
# A moment 10 s into a clock minute.
MINUTE_START = 1_800_000_000 - 1_800_000_000 % 60
NOW = MINUTE_START + 10.0


@pytest.fixture
def throttled(settings, monkeypatch):
    """The throttle on, at 3 requests a minute, with a clock the test sets. The views'
    `throttle_classes` are read from the settings when DRF is imported, so the test sets
    them directly; the rate is read per request (ClientRateThrottle.get_rate)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": ["segments_project.api.throttling.ClientRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"client": "3/min"},
    }
    monkeypatch.setattr(TenantAPIView, "throttle_classes", [ClientRateThrottle])
    clock = {"now": NOW}
    monkeypatch.setattr(ClientRateThrottle, "timer", lambda self: clock["now"])
    cache.clear()
    yield clock
    cache.clear()


@pytest.fixture
def storefront(client):
    """A storefront client and a way to get customer tokens from it (customers c1 and c2)."""
    api_client_upsert(
        tenant=TENANT,
        client_id=STOREFRONT,
        client_secret=SECRET,
        scopes=MANAGER_SCOPES | {scopes.SEGMENT_READ_OWN},
    )
    for customer_id in ("c1", "c2"):
        make_customer(TENANT, customer_id)

    def token(customer_id: str | None = None) -> Caller:
        form = {"grant_type": "client_credentials", "client_id": STOREFRONT}
        form["client_secret"] = SECRET
        if customer_id is not None:
            form["customer_id"] = customer_id
        response = client.post("/oauth/token", form)
        assert response.status_code == 200, response.content
        return Caller(response.json()["access_token"])

    return token


def _statuses(caller: Caller, path: str, times: int) -> list[int]:
    return [caller.get(path, check_schema=False).status_code for _ in range(times)]


def test_a_client_over_its_rate_gets_429_with_retry_after(throttled, manager):
    answers = _statuses(manager, SEGMENTS, 4)

    assert answers == [200, 200, 200, 429]
    refused = manager.get(SEGMENTS, check_schema=False)
    assert refused.status_code == 429
    assert refused.json() == {
        "code": 429,
        "status": "Too Many Requests",
        "message": refused.json()["message"],
    }
    # 50 s are left of the minute (the handler rounds up by one).
    assert refused["Retry-After"] == "51"


def test_the_budget_comes_back_when_the_window_ends(throttled, manager):
    assert _statuses(manager, SEGMENTS, 4) == [200, 200, 200, 429]

    throttled["now"] = MINUTE_START + 59.9
    assert _statuses(manager, SEGMENTS, 1) == [429]
    throttled["now"] = MINUTE_START + 60.0

    assert _statuses(manager, SEGMENTS, 4) == [200, 200, 200, 429]


def test_the_limit_is_per_client(throttled, issue_token):
    first = Caller(issue_token())
    second = Caller(issue_token())
    for _ in range(3):
        assert first.get(SEGMENTS).status_code == 200

    assert first.get(SEGMENTS, check_schema=False).status_code == 429
    assert second.get(SEGMENTS).status_code == 200


def test_the_limit_is_per_tenant_and_client(throttled, issue_token):
    """Two tenants' clients never share a budget, whatever their ids."""
    ours = Caller(issue_token())
    theirs = Caller(issue_token("globex"))
    for _ in range(3):
        assert ours.get(SEGMENTS).status_code == 200

    assert theirs.get("/customer-segment/globex/segments").status_code == 200


def test_each_customer_of_a_storefront_has_its_own_budget(throttled, storefront):
    first = storefront("c1")
    assert _statuses(first, OWN_SEGMENTS, 4) == [200, 200, 200, 429]

    assert _statuses(storefront("c2"), OWN_SEGMENTS, 3) == [200, 200, 200]
    assert _statuses(storefront(), SEGMENTS, 3) == [200, 200, 200]


def test_a_customers_tokens_share_its_budget(throttled, storefront):
    """A fresh token does not buy a customer a fresh budget."""
    assert _statuses(storefront("c1"), OWN_SEGMENTS, 3) == [200, 200, 200]

    assert _statuses(storefront("c1"), OWN_SEGMENTS, 1) == [429]


def test_writes_and_reads_share_the_budget(throttled, manager):
    body = {"id": "s1", "name": {"en": "S"}, "siteCode": "main"}
    assert manager.post(SEGMENTS, body).status_code == 201
    assert manager.get(f"{SEGMENTS}/s1").status_code == 200
    assert manager.delete(f"{SEGMENTS}/s1").status_code == 204

    assert manager.get(SEGMENTS, check_schema=False).status_code == 429


def test_refused_requests_are_not_counted_against_a_client(throttled, manager, anonymous):
    for _ in range(5):
        assert anonymous.get(SEGMENTS).status_code == 401

    assert manager.get(SEGMENTS).status_code == 200


def test_the_cache_holds_one_small_counter_per_window(throttled, manager):
    """Never a request history: one integer, whatever the number of requests. The first
    refused request is counted; after it this worker knows the window is spent and refuses
    the rest without asking the cache."""
    assert _statuses(manager, SEGMENTS, 5) == [200, 200, 200, 429, 429]

    counters = [key for key in cache._cache if ":throttle:client:" in key]
    assert len(counters) == 1
    assert cache.get(counters[0].split(":", 2)[2]) == 4


def test_the_rate_comes_from_the_settings(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "100000/s"},
    }

    assert ClientRateThrottle().rate == "100000/s"


def test_the_default_rate_without_settings(settings):
    settings.REST_FRAMEWORK = {
        key: value
        for key, value in settings.REST_FRAMEWORK.items()
        if key != "DEFAULT_THROTTLE_RATES"
    }

    assert ClientRateThrottle().rate == DEFAULT_CLIENT_RATE
    assert parse_rate(DEFAULT_CLIENT_RATE) == (6000, 60)


@pytest.mark.parametrize(
    ("rate", "parsed"), [("10/s", (10, 1)), ("5/hour", (5, 3600)), ("1/day", (1, 86400))]
)
def test_rates_are_read_as_drf_reads_them(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["lots", "10/fortnight", "ten/min", "10/"])
def test_a_malformed_rate_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)


def test_the_settings_turn_the_throttle_on_for_every_tenant_view():
    from django.conf import settings

    configured = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert "segments_project.api.throttling.ClientRateThrottle" in configured
    assert ClientRateThrottle in APIView.throttle_classes
    assert "client" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


def test_a_counter_another_worker_starts_meanwhile_is_counted_into(monkeypatch):
    """The window's first requests race: the loser of the `add` counts into the winner's."""
    real_add = cache.add

    def add_after_another_worker(key, value, timeout):
        real_add(key, 1, timeout)
        return real_add(key, value, timeout)

    monkeypatch.setattr(cache, "add", add_after_another_worker)

    assert _count_request("throttle:race", timeout=61) == 2


# Leases: each worker takes a few requests of a window from the shared counter at once.


@pytest.fixture
def counted(monkeypatch):
    """The calls to the shared counter (the cache round trips of the rate limit)."""
    calls: list[tuple[str, int]] = []
    real = throttling._count_request

    def counting(key: str, *, timeout: int, delta: int = 1) -> int:
        calls.append((key, delta))
        return real(key, timeout=timeout, delta=delta)

    monkeypatch.setattr(throttling, "_count_request", counting)
    return calls


@pytest.mark.parametrize(
    ("allowed", "setting", "size"),
    [(6000, 20, 20), (3, 20, 1), (1000, 20, 5), (199, 20, 1), (100_000, 20, 20), (6000, 1, 1)],
)
def test_a_lease_is_at_most_the_setting_and_a_200th_of_the_limit(settings, allowed, setting, size):
    settings.API_RATE_LIMIT_LEASE = setting

    assert lease_size(allowed) == size


def test_a_worker_spends_its_lease_without_asking_the_cache(throttled, settings, manager, counted):
    settings.API_RATE_LIMIT_LEASE = 20
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "6000/min"},
    }

    assert set(_statuses(manager, SEGMENTS, 20)) == {200}
    assert len(counted) == 1 and counted[0][1] == 20
    assert cache.get(counted[0][0]) == 20

    assert _statuses(manager, SEGMENTS, 1) == [200]
    assert len(counted) == 2
    assert cache.get(counted[0][0]) == 40


def test_the_last_lease_of_a_window_is_what_is_left_and_then_every_request_is_refused(
    throttled, settings, manager, counted
):
    """Another worker spent 5,990 of 6,000: this one gets the last 10, then refuses, and
    after the first refusal asks the cache no more until the window ends."""
    settings.API_RATE_LIMIT_LEASE = 20
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "6000/min"},
    }
    assert _statuses(manager, SEGMENTS, 1) == [200]
    counter = counted[0][0]
    cache.set(counter, 5990, 61)
    throttling.forget_leases()

    answers = _statuses(manager, SEGMENTS, 15)

    assert answers == [200] * 10 + [429] * 5
    assert len(counted) == 3  # the first request's lease, the last 10, the refusal
    assert cache.get(counter) == 6030
    throttled["now"] = MINUTE_START + 60.0
    assert _statuses(manager, SEGMENTS, 1) == [200]


@pytest.mark.parametrize("workers", [2, 4, 7])
def test_workers_together_never_admit_more_than_the_limit(settings, workers):
    """Workers spending in turn from one shared counter: at most the limit is admitted, and
    the first refusal comes at most (workers - 1) unspent leases before it."""
    settings.API_RATE_LIMIT_LEASE = 20
    allowed = 6000
    leases = [Leases() for _ in range(workers)]
    turns = random.Random(workers)
    admitted = 0
    first_refusal = None
    for _ in range(allowed + 200):
        worker = leases[turns.randrange(workers)]
        if _spend("throttle:workers:1", allowed, timeout=61, leases=worker):
            admitted += 1
        elif first_refusal is None:
            first_refusal = admitted

    assert admitted <= allowed
    assert first_refusal is not None
    assert first_refusal >= allowed - (workers - 1) * (lease_size(allowed) - 1)


def test_a_small_limit_is_counted_exactly_across_workers(settings, counted):
    settings.API_RATE_LIMIT_LEASE = 20
    leases = [Leases(), Leases()]

    answers = [_spend("throttle:small:1", 3, timeout=61, leases=leases[i % 2]) for i in range(5)]

    assert answers == [True, True, True, False, False]
    assert [delta for _, delta in counted] == [1, 1, 1, 1, 1]


def test_a_forgotten_lease_is_budget_nobody_spends(settings):
    """Evicted from a full table, a lease is lost, never spent twice."""
    settings.API_RATE_LIMIT_LEASE = 20
    leases = Leases(size=1)
    assert _spend("throttle:a:1", 6000, timeout=61, leases=leases)
    assert _spend("throttle:b:1", 6000, timeout=61, leases=leases)  # evicts a's lease

    assert _spend("throttle:a:1", 6000, timeout=61, leases=leases)
    assert cache.get("throttle:a:1") == 40
