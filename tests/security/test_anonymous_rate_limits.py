"""Abuse: anonymous token issuance (login and refresh) is limited per source address and per
storefront client, in clock-aligned windows (the fixed-window counter of ClientRateThrottle)."""

from __future__ import annotations

import pytest
from django.test import Client

from segments_project.api.throttling import ClientRateThrottle
from segments_project.api.views import TenantAPIView
from segments_project.tenancy.models import AnonymousSession

from ..conftest import TENANT
from ..tenancy.visitors import LOGIN, REFRESH, STOREFRONT_CLIENT, make_storefront_client

pytestmark = pytest.mark.django_db

MINUTE_START = 1_800_000_000 - 1_800_000_000 % 60
NOW = MINUTE_START + 10.0
QUERY = {"tenant": TENANT, "client_id": STOREFRONT_CLIENT}
ITEMS = f"/customer-segment/{TENANT}/segments/items"


@pytest.fixture
def limits(settings, monkeypatch):
    """Sets the two rates (per address, per client) and a clock the test moves."""
    make_storefront_client()
    clock = {"now": NOW}
    monkeypatch.setattr(ClientRateThrottle, "timer", lambda self: clock["now"])

    def set_rates(per_address: str, per_client: str, **extra) -> dict:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "client": "6000/min",
                "anonymous_address": per_address,
                "anonymous_client": per_client,
            },
            **extra,
        }
        return clock

    return set_rates


def _login(address: str = "192.0.2.1", **headers):
    return Client(REMOTE_ADDR=address, **headers).get(LOGIN, QUERY)


def test_an_address_over_its_rate_gets_429_with_retry_after(limits):
    limits("3/min", "100/min")

    statuses = [_login().status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = _login()
    assert refused["Retry-After"] == "51"  # 50 s left in the minute, rounded up
    assert refused.json()["code"] == 429
    assert AnonymousSession.objects.count() == 3


def test_the_budget_comes_back_when_the_window_ends(limits):
    clock = limits("1/min", "100/min")
    assert [_login().status_code for _ in range(2)] == [200, 429]

    clock["now"] = MINUTE_START + 60

    assert _login().status_code == 200


def test_the_address_limit_counts_refreshes_and_every_client(limits):
    limits("3/min", "100/min")
    make_storefront_client(client_id="second-storefront")
    caller = Client(REMOTE_ADDR="192.0.2.1")
    body = caller.get(LOGIN, QUERY).json()

    refreshed = caller.get(REFRESH, {**QUERY, "refresh_token": body["refresh_token"]})
    other = caller.get(LOGIN, {**QUERY, "client_id": "second-storefront"})
    over = caller.get(LOGIN, QUERY)

    assert (refreshed.status_code, other.status_code, over.status_code) == (200, 200, 429)
    assert _login("192.0.2.2").status_code == 200  # another address has its own budget


def test_a_client_over_its_rate_gets_429_from_every_address(limits):
    limits("100/min", "2/min")

    statuses = [_login(f"192.0.2.{n}").status_code for n in range(1, 4)]

    assert statuses == [200, 200, 429]


def test_requests_an_address_may_not_make_spend_nothing_of_the_clients_budget(limits):
    """One noisy address cannot use up a storefront's logins for everyone else."""
    limits("1/min", "2/min")

    noisy = [_login("192.0.2.1").status_code for _ in range(5)]
    others = [_login(f"192.0.2.{n}").status_code for n in (2, 3)]

    assert noisy == [200, 429, 429, 429, 429]
    assert others == [200, 429]


def test_unknown_client_ids_are_limited_too(limits):
    limits("100/min", "1/min")

    answers = [
        Client(REMOTE_ADDR=f"192.0.2.{n}").get(LOGIN, {**QUERY, "client_id": "nobody"})
        for n in (1, 2)
    ]

    assert [answer.status_code for answer in answers] == [401, 429]


def test_x_forwarded_for_is_ignored_unless_proxies_are_configured(limits):
    limits("1/min", "100/min")

    first = _login(HTTP_X_FORWARDED_FOR="203.0.113.1")
    forged = _login(HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert (first.status_code, forged.status_code) == (200, 429)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_source(limits):
    limits("1/min", "100/min", NUM_PROXIES=1)
    proxy = "10.0.0.1"

    one = _login(proxy, HTTP_X_FORWARDED_FOR="203.0.113.1")
    two = _login(proxy, HTTP_X_FORWARDED_FOR="203.0.113.2")
    again = _login(proxy, HTTP_X_FORWARDED_FOR="203.0.113.1")

    assert (one.status_code, two.status_code, again.status_code) == (200, 200, 429)


def test_the_rates_are_settings_with_defaults(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    assert rates["anonymous_address"] == "30/min"
    assert rates["anonymous_client"] == "1200/min"
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


@pytest.fixture
def api_limit(settings, monkeypatch):
    """The API's per-caller throttle on at 2 requests a minute (as in
    test_abuse_rate_limits.py), issuance limits out of the way."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "client": "2/min",
            "anonymous_address": "100/min",
            "anonymous_client": "100/min",
        },
    }
    monkeypatch.setattr(TenantAPIView, "throttle_classes", [ClientRateThrottle])
    monkeypatch.setattr(ClientRateThrottle, "timer", lambda self: NOW)
    make_storefront_client()


def _token(address: str) -> str:
    return Client(REMOTE_ADDR=address).get(LOGIN, QUERY).json()["access_token"]


def _items(token: str, address: str) -> int:
    response = Client(REMOTE_ADDR=address).get(ITEMS, HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code


def test_visitors_spend_the_budget_of_their_address_not_of_the_whole_storefront(api_limit):
    here, there = _token("192.0.2.1"), _token("192.0.2.2")

    assert [_items(here, "192.0.2.1") for _ in range(3)] == [200, 200, 429]
    assert _items(there, "192.0.2.2") == 200


def test_more_visitor_tokens_from_one_address_buy_no_more_requests(api_limit):
    first, second = _token("192.0.2.1"), _token("192.0.2.1")

    statuses = [_items(first, "192.0.2.1"), _items(first, "192.0.2.1"), _items(second, "192.0.2.1")]

    assert statuses == [200, 200, 429]
