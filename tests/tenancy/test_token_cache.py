"""The memory of verified tokens: no database round trip for a token verified moments ago,
every revocation (whichever way it is made) effective within ACCESS_TOKEN_REVOCATION_SECONDS
through the feed of revocations, never another tenant's caller."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.tenancy import revocation_feed, scopes, token_cache
from segments_project.tenancy.anonymous import anonymous_sessions_revoke
from segments_project.tenancy.models import AnonymousSession, ApiClient, CustomerTokenBinding
from segments_project.tenancy.services import (
    api_client_delete,
    api_client_update,
    customer_tokens_revoke,
)

from ..conftest import OTHER_TENANT, SECRET, TENANT, Caller
from ..segments.factories import make_customer
from .visitors import STOREFRONT_CLIENT, login, make_storefront_client, refresh

pytestmark = pytest.mark.django_db

TTL = 60.0
FEED = 1.0  # ACCESS_TOKEN_REVOCATION_SECONDS
OWN = frozenset({scopes.SEGMENT_READ_OWN, scopes.CUSTOMER_TOKEN_ISSUE})
ITEMS = f"/customer-segment/{TENANT}/segments/items"


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
    settings.ACCESS_TOKEN_REVOCATION_SECONDS = FEED
    fake = Clock()
    monkeypatch.setattr(token_cache, "clock", fake)
    return fake


@pytest.fixture
def shopper(issue_token, clock) -> Caller:
    make_customer(TENANT, "c1")
    return Caller(issue_token(granted=OWN, customer_id="c1"))


@pytest.fixture
def publications(monkeypatch) -> list[list[str]]:
    """Every publication to the feed while the test runs; they still take effect."""
    seen: list[list[str]] = []
    original = revocation_feed.publish

    def publish(checksums):
        seen.append(list(checksums))
        original(checksums)

    monkeypatch.setattr(revocation_feed, "publish", publish)
    return seen


def _checksum_of(caller: Caller) -> str:
    return hashlib.sha256(caller.token.encode()).hexdigest()


def test_a_warm_read_with_a_token_verified_moments_ago_needs_no_database(
    shopper, django_assert_num_queries
):
    first = shopper.get(_me())

    with django_assert_num_queries(0):  # neither the token nor the cached answer
        again = shopper.get(_me())
    assert (again.status_code, again.content) == (200, first.content)


def test_a_token_is_remembered_for_the_setting_then_verified_again(
    shopper, clock, django_assert_num_queries
):
    assert shopper.get(_me()).status_code == 200
    clock.now += TTL - 1  # the feed read every second meanwhile, with nothing in it
    with django_assert_num_queries(0):
        assert shopper.get(_me()).status_code == 200

    clock.now += 2
    with django_assert_num_queries(1):  # the token's lookup; the answer is still cached
        assert shopper.get(_me()).status_code == 200


def _rotate_secret(caller: Caller) -> None:
    client_id = get_application_model().objects.get(api_client__isnull=False).client_id
    api_client_update(tenant=TENANT, client_id=client_id, client_secret="another-secret-0123")


def _narrow_scopes(caller: Caller) -> None:
    client_id = get_application_model().objects.get().client_id
    api_client_update(tenant=TENANT, client_id=client_id, scopes=frozenset())


def _delete_client(caller: Caller) -> None:
    api_client_delete(tenant=TENANT, client_id=get_application_model().objects.get().client_id)


def _delete_only_the_api_client(caller: Caller) -> None:
    ApiClient.objects.get().delete()


def _delete_the_token_row(caller: Caller) -> None:
    get_access_token_model().objects.get(token_checksum=_checksum_of(caller)).delete()


def _revoke_the_customer(caller: Caller) -> None:
    customer_tokens_revoke(tenant=TENANT, customer_id="c1")


REVOCATIONS: dict[str, Callable[[Caller], None]] = {
    "a new client secret": _rotate_secret,
    "narrowed scopes": _narrow_scopes,
    "the client deleted": _delete_client,
    "only its API client deleted": _delete_only_the_api_client,
    "the token row deleted": _delete_the_token_row,
    "the customer's tokens revoked": _revoke_the_customer,
}


@pytest.mark.parametrize("revoke", REVOCATIONS.values(), ids=REVOCATIONS.keys())
def test_a_revocation_ends_a_remembered_token_within_the_feeds_second(
    revoke, shopper, clock, django_capture_on_commit_callbacks
):
    assert shopper.get(_me()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        revoke(shopper)

    clock.now += FEED - 0.5
    assert shopper.get(_me()).status_code == 200  # the window the setting allows
    clock.now += 0.5
    assert shopper.get(_me()).status_code == 401


@pytest.mark.parametrize("change", ["rebound", "unbound"])
def test_a_changed_binding_is_seen_within_the_feeds_second(
    change, shopper, clock, django_capture_on_commit_callbacks
):
    assert token_cache.recall(_checksum_of(shopper)) is None
    assert shopper.get(_me()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        binding = CustomerTokenBinding.objects.get()
        if change == "rebound":
            binding.customer_id = "c2"
            binding.save()
        else:
            binding.delete()

    clock.now += FEED
    assert token_cache.recall(_checksum_of(shopper)) is None
    shopper.get(_me())
    principal, _ = token_cache.recall(_checksum_of(shopper))
    assert principal.customer_id == ("c2" if change == "rebound" else None)


def test_a_changed_application_is_seen_within_the_feeds_second(
    issue_token, clock, django_capture_on_commit_callbacks
):
    """A change of the client that deletes no token (its id renamed): every process
    forgets every token, so the caller is read again with the new client id."""
    caller = Caller(issue_token())
    assert caller.get(f"/customer-segment/{TENANT}/segments").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        application = get_application_model().objects.get()
        application.client_id = "renamed-client"
        application.save()

    clock.now += FEED
    assert token_cache.recall(_checksum_of(caller)) is None
    assert caller.get(f"/customer-segment/{TENANT}/segments").status_code == 200
    principal, _ = token_cache.recall(_checksum_of(caller))
    assert principal.client_id == "renamed-client"


def test_revoking_many_customer_tokens_asks_nothing_per_token(
    issue_token, clock, publications, django_capture_on_commit_callbacks
):
    """The bindings deleted with their tokens are named by the tokens themselves: the
    revocation's queries do not grow with the number of tokens."""
    make_customer(TENANT, "c1")
    issue_token(granted=OWN, customer_id="c1")

    def revoke_counting() -> int:
        with (
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as queries,
            transaction.atomic(),
        ):
            assert customer_tokens_revoke(tenant=TENANT, customer_id="c1") > 0
        return len(queries)

    one = revoke_counting()
    for _ in range(5):
        issue_token(granted=OWN, customer_id="c1")
    publications.clear()
    assert revoke_counting() == one
    assert len(publications) == 1 and len(publications[0]) == 5


def test_the_memory_of_recent_drops_is_bounded_and_then_refuses(shopper, clock):
    """Past its bound, the memory of what the feed dropped refuses every lookup that
    began before the oldest drop it forgot."""
    token_cache._memory.DROPS_KEPT = 2
    token_cache.recall("another")  # the first read of the feed (which forgets everything)
    since = token_cache.mark()
    for checksum in ("a", "b", "c"):
        revocation_feed.publish([checksum])
        clock.now += FEED
        token_cache.recall("another")  # reads the feed

    token_cache.remember("d", (object(), 1), token_seconds_left=600, since=since)
    assert token_cache.recall("d") is None
    token_cache.remember("d", (object(), 1), token_seconds_left=600, since=token_cache.mark())
    assert token_cache.recall("d") is not None


def test_a_revocation_that_rolled_back_ends_nothing(
    shopper, clock, publications, django_capture_on_commit_callbacks
):
    assert shopper.get(_me()).status_code == 200
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        customer_tokens_revoke(tenant=TENANT, customer_id="c1")
        raise RuntimeError("rolled back")

    clock.now += FEED + 1
    assert publications == []
    assert shopper.get(_me()).status_code == 200


def test_a_secret_rotation_is_one_publication_whatever_the_number_of_tokens(
    issue_token, clock, publications, django_capture_on_commit_callbacks, client
):
    issue_token()
    client_id = get_application_model().objects.get().client_id
    for _ in range(3):
        form = {"grant_type": "client_credentials", "client_id": client_id}
        response = client.post("/oauth/token", {**form, "client_secret": SECRET})
        assert response.status_code == 200
    checksums = set(get_access_token_model().objects.values_list("token_checksum", flat=True))
    assert len(checksums) == 4

    with django_capture_on_commit_callbacks(execute=True):
        api_client_update(tenant=TENANT, client_id=client_id, client_secret="another-secret-0123")

    # The application's change (everything forgotten) and one publication of the tokens.
    assert [revocation_feed.FORGET_ALL] in publications
    assert len(publications) <= 2
    assert any(checksums <= set(published) for published in publications)


def test_issuing_and_using_tokens_publishes_nothing(
    issue_token, clock, publications, django_capture_on_commit_callbacks
):
    make_customer(TENANT, "c1")
    make_storefront_client()
    with django_capture_on_commit_callbacks(execute=True):
        shopper = Caller(issue_token(granted=OWN, customer_id="c1"))
        assert login(Client()).status_code == 200
        assert shopper.get(_me()).status_code == 200

    assert publications == []


def test_deleting_expired_tokens_publishes_nothing(
    issue_token, clock, publications, django_capture_on_commit_callbacks
):
    """The nightly purges delete expired tokens by the thousand: no process remembers
    them, and the feed's followers would otherwise forget everything."""
    issue_token()
    fresh = issue_token()
    tokens = get_access_token_model().objects
    tokens.exclude(token_checksum=_checksum_of(Caller(fresh))).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        tokens.filter(expires__lte=timezone.now()).delete()
    assert publications == []
    with django_capture_on_commit_callbacks(execute=True):
        tokens.all().delete()
    assert publications == [[_checksum_of(Caller(fresh))]]


def test_an_anonymous_refresh_ends_the_replaced_token(clock, django_capture_on_commit_callbacks):
    make_storefront_client()
    browser = Client()
    issued = login(browser).json()
    old = Caller(issued["access_token"])
    assert old.get(ITEMS).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        renewed = refresh(browser, issued["refresh_token"])
    assert renewed.status_code == 200

    clock.now += FEED
    assert old.get(ITEMS).status_code == 401
    assert Caller(renewed.json()["access_token"]).get(ITEMS).status_code == 200


@pytest.mark.parametrize("how", ["the session row", "the client's sessions"])
def test_ending_an_anonymous_session_ends_its_token(how, clock, django_capture_on_commit_callbacks):
    make_storefront_client()
    caller = Caller(login(Client()).json()["access_token"])
    assert caller.get(ITEMS).status_code == 200

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        if how == "the session row":
            AnonymousSession.objects.get().delete()
        else:
            client = ApiClient.objects.select_for_update().get(
                application__client_id=STOREFRONT_CLIENT
            )
            anonymous_sessions_revoke(api_client=client)

    clock.now += FEED
    assert caller.get(ITEMS).status_code == 401


def test_a_lookup_overtaken_by_a_revocation_is_not_remembered(shopper, clock):
    """A lookup may read the token before a revocation commits and finish after this
    process read that revocation from the feed: its answer is not kept."""
    checksum = _checksum_of(shopper)
    principal = (object(), 1)
    token_cache.recall("another")  # the first read of the feed (which forgets everything)
    since = token_cache.mark()
    revocation_feed.publish([checksum])
    clock.now += FEED
    assert token_cache.recall("another") is None  # reads the feed

    token_cache.remember(checksum, principal, token_seconds_left=600, since=since)
    assert token_cache.recall(checksum) is None
    token_cache.remember(checksum, principal, token_seconds_left=600, since=token_cache.mark())
    assert token_cache.recall(checksum) is principal


def test_the_authentication_marks_the_feed_before_its_lookup(shopper, clock, monkeypatch):
    """The same race through a request: another thread reads the token's revocation from
    the feed while this request's lookup is under way (and saw the token still valid)."""
    from segments_project.tenancy import authentication

    checksum = _checksum_of(shopper)
    token_cache.recall("another")  # the first read of the feed (which forgets everything)
    looked_up = authentication._lookup

    def lookup_overtaken(checksum_asked: str):
        found = looked_up(checksum_asked)
        revocation_feed.publish([checksum])
        clock.now += FEED
        token_cache.recall("another")  # the other thread's read of the feed
        return found

    monkeypatch.setattr(authentication, "_lookup", lookup_overtaken)
    assert shopper.get(_me()).status_code == 200  # verified before the revocation
    assert token_cache.recall(checksum) is None


@pytest.mark.parametrize(
    "damage",
    ["an entry missing", "the counter gone", "too many entries", "forget all"],
)
def test_a_feed_that_cannot_say_what_was_missed_forgets_everything(damage, shopper, clock):
    from django.core.cache import cache

    assert shopper.get(_me()).status_code == 200
    revocation_feed.publish(["unrelated"])
    clock.now += FEED
    assert token_cache.recall(_checksum_of(shopper)) is not None  # read: nothing of ours

    if damage == "an entry missing":
        revocation_feed.publish(["other-1", "other-2"])
        last = cache.get(revocation_feed._COUNTER)
        cache.delete(revocation_feed._entry_key(last - 1))
    elif damage == "the counter gone":
        cache.delete(revocation_feed._COUNTER)
        revocation_feed.publish(["other"])
    elif damage == "too many entries":
        revocation_feed.publish([f"other-{n}" for n in range(revocation_feed.MOST_READ + 1)])
    else:
        revocation_feed.publish([revocation_feed.FORGET_ALL])
    clock.now += FEED

    assert token_cache.recall(_checksum_of(shopper)) is None


def test_a_failed_read_of_the_feed_forgets_everything(shopper, clock, monkeypatch):
    assert shopper.get(_me()).status_code == 200

    def unreachable(last):
        raise ConnectionError("no cache")

    monkeypatch.setattr(revocation_feed, "read_since", unreachable)
    clock.now += FEED
    assert token_cache.recall(_checksum_of(shopper)) is None


def test_without_a_shared_cache_a_token_is_remembered_for_the_feeds_second_only(
    shopper, clock, settings
):
    """The feed then reaches its own process only: another process's revocation must take
    effect within ACCESS_TOKEN_REVOCATION_SECONDS all the same."""
    settings.CACHE_SHARED_BY_PROCESSES = False
    assert shopper.get(_me()).status_code == 200
    clock.now += FEED - 0.5
    assert token_cache.recall(_checksum_of(shopper)) is not None

    clock.now += 0.5
    assert token_cache.recall(_checksum_of(shopper)) is None


def test_the_feed_works_through_redis(redis_cache, shopper, clock):
    """django-redis's counter and entries, as the processes of a deployment share them."""
    ours, other = _checksum_of(shopper), "0" * 64
    assert shopper.get(_me()).status_code == 200
    clock.now += FEED
    assert token_cache.recall(ours) is not None

    revocation_feed.publish([other])
    revocation_feed.publish([ours])
    assert revocation_feed.read_since(None).forget_all
    clock.now += FEED
    assert token_cache.recall(ours) is None
    assert shopper.get(_me()).status_code == 200  # verified again: the row is still there


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

    clock.now += 2.5  # within the setting's 60 s, past the token's 2 s
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

    assert token_cache.recall(_checksum_of(callers[0])) is None
    assert token_cache.recall(_checksum_of(callers[1])) is not None
    assert token_cache.recall(_checksum_of(callers[2])) is not None
