"""The memory of verified tokens: no database round trip for a token verified
seconds ago (by this worker or another), revocation within ACCESS_TOKEN_CACHE_SECONDS,
never another tenant's caller."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from segments_project.tenancy import scopes, token_cache
from segments_project.tenancy.services import api_client_update, customer_tokens_revoke

from ..conftest import OTHER_TENANT, TENANT, Caller
from ..segments.factories import make_customer

pytestmark = pytest.mark.django_db

TTL = 5.0
OWN = frozenset({scopes.SEGMENT_READ_OWN, scopes.CUSTOMER_TOKEN_ISSUE})


def _me(tenant: str = TENANT) -> str:
    return f"/customer-segment/{tenant}/me/segments"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(settings, monkeypatch) -> Clock:
    settings.ACCESS_TOKEN_CACHE_SECONDS = TTL
    fake = Clock()
    monkeypatch.setattr(token_cache, "clock", fake)
    return fake


@pytest.fixture
def shopper(issue_token, clock) -> Caller:
    make_customer(TENANT, "c1")
    return Caller(issue_token(granted=OWN, customer_id="c1"))


def test_a_warm_read_with_a_token_verified_moments_ago_needs_no_database(
    shopper, django_assert_num_queries
):
    first = shopper.get(_me())

    with django_assert_num_queries(0):  # neither the token nor the cached answer
        again = shopper.get(_me())
    assert (again.status_code, again.content) == (200, first.content)


def test_a_token_another_worker_verified_needs_no_database(shopper, django_assert_num_queries):
    first = shopper.get(_me())
    token_cache.forget_all()  # as if the next request reached another worker

    with django_assert_num_queries(0):
        again = shopper.get(_me())
    assert (again.status_code, again.content) == (200, first.content)


def test_a_revoked_customer_token_is_refused_once_the_memory_lapses(shopper, clock):
    assert shopper.get(_me()).status_code == 200
    customer_tokens_revoke(tenant=TENANT, customer_id="c1")

    clock.now += TTL - 0.5
    assert shopper.get(_me()).status_code == 200  # the window the setting allows
    clock.now += 1
    assert shopper.get(_me()).status_code == 401


def test_a_new_client_secret_ends_its_tokens_within_the_memory(issue_token, clock):
    token = issue_token()
    client_id = get_access_token_model().objects.get().application.client_id
    caller = Caller(token)
    assert caller.get(f"/customer-segment/{TENANT}/segments").status_code == 200
    api_client_update(tenant=TENANT, client_id=client_id, client_secret="another-secret-0123")

    clock.now += TTL + 0.1
    assert caller.get(f"/customer-segment/{TENANT}/segments").status_code == 401


def test_off_means_every_request_checks_the_database(shopper, settings):
    settings.ACCESS_TOKEN_CACHE_SECONDS = 0
    assert shopper.get(_me()).status_code == 200
    customer_tokens_revoke(tenant=TENANT, customer_id="c1")

    assert shopper.get(_me()).status_code == 401


def test_a_remembered_token_never_outlives_its_own_expiry(shopper, clock):
    get_access_token_model().objects.update(expires=timezone.now() + timedelta(seconds=2))
    token_cache.forget_all()
    assert shopper.get(_me()).status_code == 200
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))

    clock.now += 2.5  # within the setting's 5 s, past the token's 2 s
    assert shopper.get(_me()).status_code == 401


def test_a_remembered_token_reads_only_its_own_tenant(issue_token, clock):
    ours, theirs = Caller(issue_token()), Caller(issue_token(OTHER_TENANT))
    assert ours.get(f"/customer-segment/{TENANT}/segments").status_code == 200
    assert theirs.get(f"/customer-segment/{OTHER_TENANT}/segments").status_code == 200

    # Both remembered now; each still yields its own tenant's caller only.
    assert ours.get(f"/customer-segment/{OTHER_TENANT}/segments").status_code == 403
    assert theirs.get(f"/customer-segment/{TENANT}/segments").status_code == 403
    assert token_cache.recall(_checksum_of(ours))[0].tenant == TENANT
    assert token_cache.recall(_checksum_of(theirs))[0].tenant == OTHER_TENANT


def test_the_memory_is_bounded_oldest_first(issue_token, clock, settings):
    settings.ACCESS_TOKEN_CACHE_SIZE = 2
    callers = [Caller(issue_token()) for _ in range(3)]
    for caller in callers:
        assert caller.get(f"/customer-segment/{TENANT}/segments").status_code == 200

    cache.clear()  # this process's memory only, then
    assert token_cache.recall(_checksum_of(callers[0])) is None
    assert token_cache.recall(_checksum_of(callers[1])) is not None
    assert token_cache.recall(_checksum_of(callers[2])) is not None


def _checksum_of(caller: Caller) -> str:
    return hashlib.sha256(caller.token.encode()).hexdigest()
