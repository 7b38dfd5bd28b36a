"""Every write that can change a storefront answer makes the next read correct."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Category, Product
from segments.api import storefront_views
from segments_project.api.filters import QueryFilterBackend
from segments_project.tenancy import versions
from segments_project.tenancy.versions import cache_key, content_changed

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT, Caller
from ..tenancy.visitors import visitor
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

TREES = f"/customer-segment/{TENANT}/segments/items/category-trees"
ME = f"/customer-segment/{TENANT}/me/segments"
STOREFRONT_ITEMS = f"/customer-segment/{TENANT}/segments/items?siteCode=main"


@pytest.fixture
def shop(db):
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    make_category(TENANT, "hand", parent=tools)
    gold = make_segment(TENANT, "gold")
    assign_item(gold, power)
    assign_customer(gold, make_customer(TENANT, "c1"))
    return gold


@pytest.fixture
def customer(issue_token, shop) -> Caller:
    return Caller(issue_token(customer_id="c1"))


@pytest.fixture
def write(manager, django_capture_on_commit_callbacks):
    """Sends a write as the back office and runs what it scheduled for after commit."""

    def send(method: str, path: str, body=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = manager.request(method, path, body, **kwargs)
        assert response.status_code < 300, response.content
        return response

    return send


def _tree_ids(caller) -> list[str]:
    def walk(nodes):
        return [node["id"] for node in nodes] + [
            i for node in nodes for i in walk(node["subcategories"])
        ]

    return walk(caller.get(f"{TREES}?siteCode=main").json())


SEGMENT = f"/customer-segment/{TENANT}/segments/gold"
CATEGORIES = f"/category/{TENANT}/categories"


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("PATCH", SEGMENT, {"status": "INACTIVE"}, []),
        ("PATCH", SEGMENT, {"siteCode": "outlet"}, []),
        ("PATCH", SEGMENT, {"validity": {"to": "2001-01-01T00:00:00Z"}}, []),
        ("DELETE", f"{SEGMENT}?forceDelete=true", None, []),
        ("PATCH", f"{CATEGORIES}/power", {"published": False}, []),
        ("PATCH", f"{CATEGORIES}/tools", {"published": False}, []),
        ("PATCH", f"{CATEGORIES}/power", {"parentId": "hand"}, ["tools", "hand", "power"]),
        ("DELETE", f"{CATEGORIES}/power", None, []),
        (
            "POST",
            CATEGORIES,
            {
                "id": "cordless",
                "parentId": "power",
                "localizedName": {"en": "C"},
                "published": True,
            },
            ["tools", "power", "cordless"],
        ),
    ],
    ids=[
        "segment deactivated",
        "segment moved to another site",
        "segment expired",
        "segment deleted",
        "category unpublished",
        "ancestor unpublished",
        "category moved",
        "category deleted",
        "subcategory created",
    ],
)
def test_the_read_right_after_a_write_sees_it(customer, write, method, path, body, expected):
    assert _tree_ids(customer) == ["tools", "power"]  # now cached

    write(method, path, body)

    assert _tree_ids(customer) == expected


def test_a_product_category_link_reaches_the_grafted_tree(customer, shop, write):
    make_product(TENANT, "hammer")
    assign_item(
        shop,
        __import__("catalog.models", fromlist=["Product"]).Product.objects.get(public_id="hammer"),
    )
    url = f"{TREES}?includeProductCategories=true"
    assert [n["id"] for n in customer.get(url).json()[0]["subcategories"]] == ["power"]

    write("POST", f"{CATEGORIES}/hand/assignments", {"ref": {"id": "hammer", "type": "PRODUCT"}})

    assert [n["id"] for n in customer.get(url).json()[0]["subcategories"]] == ["hand", "power"]


def test_a_product_deletion_reaches_the_grafted_tree(customer, shop, write):
    hammer = make_product(TENANT, "hammer")
    make_assignment(Category.objects.get(public_id="hand"), hammer)
    assign_item(shop, hammer)
    url = f"{TREES}?includeProductCategories=true"
    assert len(customer.get(url).json()[0]["subcategories"]) == 2

    write("DELETE", f"/product/{TENANT}/products/hammer")

    assert not Product.objects.exists()
    assert [n["id"] for n in customer.get(url).json()[0]["subcategories"]] == ["power"]


def test_me_segments_sees_a_renamed_segment_at_once(customer, write):
    assert customer.get(ME).json()[0]["name"] == {"en": "Gold"}

    write("PATCH", SEGMENT, {"name": {"en": "Golden"}})

    assert customer.get(ME).json()[0]["name"] == {"en": "Golden"}


def test_me_segments_projects_fields_and_caches_each_projection_apart(customer):
    full = customer.get(ME)
    projected = customer.get(f"{ME}?fields=id,metadata.version")
    full_again = customer.get(ME)

    assert full.status_code == projected.status_code == full_again.status_code == 200
    assert projected.json() == [{"id": "gold", "metadata": {"version": 1}}]
    assert full_again.json() == full.json()
    assert {"name", "status", "siteCode"} <= set(full.json()[0])
    assert projected["ETag"] != full["ETag"]
    unchanged = customer.get(
        f"{ME}?fields=id,metadata.version", headers={"If-None-Match": projected["ETag"]}
    )
    other_projection = customer.get(
        f"{ME}?fields=id,metadata.version", headers={"If-None-Match": full["ETag"]}
    )
    assert unchanged.status_code == 304
    assert other_projection.status_code == 200


def test_me_segments_refuses_an_oversized_fields_parameter(customer):
    response = customer.get(f"{ME}?fields={'x' * 1001}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "fields"


def test_a_cached_answer_never_outlives_the_next_validity_boundary(customer, shop, monkeypatch):
    shop.valid_to = timezone.now() + timedelta(seconds=42)
    shop.save()
    other = make_segment(TENANT, "later", valid_from=timezone.now() + timedelta(seconds=20))
    assign_customer(other, shop.customer_assignments.get().customer)
    timeouts = []
    real_set = cache.set

    def record(key, value, timeout=None):
        if key.startswith("storefront-answer:"):  # not the rate limiter's counters
            timeouts.append(timeout)
        return real_set(key, value, timeout)

    monkeypatch.setattr(cache, "set", record)

    customer.get(TREES)

    # Never past the segment that opens in 20 s (nor the one closing in 42 s, nor 300 s).
    assert timeouts and 1 <= timeouts[0] <= 20


ITEMS = f"{SEGMENT}/items"
MEMBERS = f"{SEGMENT}/customers"


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("PUT", f"{ITEMS}/CATEGORY/hand", {}, ["tools", "hand", "power"]),
        ("PUT", f"{ITEMS}/CATEGORY/bulk", [{"id": "hand"}], ["tools", "hand", "power"]),
        ("DELETE", f"{ITEMS}/CATEGORY/power", None, []),
        ("DELETE", f"{ITEMS}/CATEGORY/bulk", ["power"], []),
        ("DELETE", f"{MEMBERS}/c1", None, []),
        ("DELETE", f"{MEMBERS}/bulk", [{"customerId": "c1"}], []),
        ("DELETE", f"/customer/{TENANT}/customers/c1", None, None),
    ],
    ids=[
        "item assigned",
        "items assigned in bulk",
        "item removed",
        "items removed in bulk",
        "member removed",
        "members removed in bulk",
        "customer deleted",
    ],
)
def test_membership_writes_reach_the_next_read(customer, write, method, path, body, expected):
    assert _tree_ids(customer) == ["tools", "power"]

    write(method, path, body)

    response = customer.get(f"{TREES}?siteCode=main")
    if expected is None:  # the customer is gone, and so are its tokens
        assert response.status_code == 401
    else:
        assert _tree_ids(customer) == expected


def test_a_member_added_sees_the_segment_at_once(shop, issue_token, write):
    make_customer(TENANT, "c2")
    newcomer = Caller(issue_token(customer_id="c2"))
    assert _tree_ids(newcomer) == []

    write("PUT", f"{MEMBERS}/c2", {})

    assert _tree_ids(newcomer) == ["tools", "power"]


def _cache_calls(monkeypatch) -> list[str]:
    """The cache's get, get_many, set and add calls from now on, outermost only."""
    calls: list[str] = []
    depth = [0]

    def counted(name, real):
        def call(*args, **kwargs):
            if not depth[0]:  # the outermost call (locmem's get_many calls its get)
                calls.append(name)
            depth[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))
    return calls


def test_a_warm_read_asks_the_cache_once(customer, monkeypatch):
    customer.get(f"{TREES}?siteCode=main")
    calls = _cache_calls(monkeypatch)

    response = customer.get(f"{TREES}?siteCode=main")

    # The version and the answer in one get_many (the rate limiter's incr aside).
    assert (response.status_code, calls) == (200, ["get_many"])


@pytest.mark.parametrize(
    "path", [f"{TREES}?siteCode=main", f"{ME}?siteCode=main", STOREFRONT_ITEMS]
)
def test_a_warm_read_computes_nothing_of_the_request(customer, monkeypatch, settings, path):
    """A hit is the answer's one round trip: no parameter parsing, no scope, no query, and
    not the replica's read-your-writes check (a cache read of its own), which only a miss,
    reading the database, needs."""
    settings.ACCESS_TOKEN_CACHE_SECONDS = 5  # the token remembered: no lookup either
    first = customer.get(path)
    settings.STOREFRONT_READS_FROM_REPLICA = True

    def computed(*args, **kwargs):
        raise AssertionError("computed on a hit")

    monkeypatch.setattr(storefront_views, "scope_for", computed)
    monkeypatch.setattr(QueryFilterBackend, "values", computed)
    monkeypatch.setattr(storefront_views, "requested_fields", computed)
    calls = _cache_calls(monkeypatch)

    with CaptureQueriesContext(connection) as queries:
        response = customer.get(path)

    assert (response.status_code, response.content) == (200, first.content)
    assert (calls, len(queries)) == (["get_many"], 0)


def test_a_request_whose_answer_is_cached_is_still_checked_on_a_miss(customer, reader):
    """The answer key names the caller and the raw parameters, so a request that differs
    from a cached one in either is computed, and checked, anew."""
    assert reader.get(f"{TREES}?siteCode=main&customerId=c1").status_code == 200
    assert customer.get(f"{ME}?siteCode=main").status_code == 200

    refused = visitor().get(f"{TREES}?siteCode=main&customerId=c1")

    assert (refused.status_code, "visitor" in refused.json()["message"]) == (403, True)
    assert customer.get(f"{ME}?siteCode=").status_code == 400
    assert customer.get(f"{ME}?siteCode=main&onlyActive=maybe").status_code == 400


def test_a_cache_that_lost_the_version_computes_afresh(customer, shop):
    assert _tree_ids(customer) == ["tools", "power"]
    # A change no service announced, then the version gone (evicted, flushed): the answers
    # cached under the lost counter are never served again.
    Category.objects.filter(tenant_id=TENANT, public_id="power").update(published=False)
    cache.delete(cache_key(TENANT, versions.TENANT))

    assert _tree_ids(customer) == []


def test_the_version_advances_after_the_commit_only(django_capture_on_commit_callbacks):
    cache.set(cache_key(TENANT, versions.TENANT), 7, None)

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        content_changed(tenant=TENANT)
    assert cache.get(cache_key(TENANT, versions.TENANT)) == 7
    for callback in callbacks:
        callback()

    assert cache.get(cache_key(TENANT, versions.TENANT)) not in (None, 7)


def test_without_a_shared_cache_another_process_write_is_seen_at_once(customer, shop, settings):
    """No Redis: each process has its own cache, so a write made by another process (a
    task worker, another app worker) advances only the version rows, which reads go by."""
    settings.CACHE_SHARED_BY_PROCESSES = False
    assert _tree_ids(customer) == ["tools", "power"]

    # As another process commits: the data and the segment's version row, not this cache.
    Category.objects.filter(tenant_id=TENANT, public_id="power").update(published=False)
    versions.publish(TENANT, [versions.segment_key(shop.pk)])

    assert cache.get(cache_key(TENANT, versions.segment_key(shop.pk))) is None
    assert _tree_ids(customer) == []


def test_the_changes_of_a_transaction_are_published_once_per_tenant(
    django_capture_on_commit_callbacks,
):
    """A customer write that also changes memberships marks keys twice; they are published
    together, in one round trip, after its commit."""
    first, second = versions.customer_key("c-1"), versions.customer_key("c-2")
    before = versions.read_versions(TENANT, [first, second], {})

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        versions.customers_changed(tenant=TENANT, customer_ids=["c-1"])
        versions.customers_changed(tenant=TENANT, customer_ids=["c-2"])
        versions.content_changed(tenant="other-tenant")

    assert len(callbacks) == 2
    after = versions.read_versions(TENANT, [first, second], {})
    assert after[first] != before[first] and after[second] != before[second]


def test_a_change_marked_in_a_rolled_back_savepoint_is_marked_again(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            versions.customers_changed(tenant=TENANT, customer_ids=["c-1"])
            raise RuntimeError("rolled back")
        versions.customers_changed(tenant=TENANT, customer_ids=["c-1"])

    assert len(callbacks) == 1
    assert callbacks[0].keys == {versions.customer_key("c-1")}


@pytest.mark.parametrize("accept_encoding", ["", "gzip"], ids=["identity", "gzip"])
@pytest.mark.parametrize(
    "path", [f"{TREES}?siteCode=main", f"{ME}?siteCode=main", STOREFRONT_ITEMS]
)
def test_on_redis_a_warm_read_is_one_command_even_for_an_answer_another_process_stored(
    customer, settings, redis_commands, path, accept_encoding
):
    """The answer and every version it recorded are checked by Redis in one command
    (`_REDIS_LOOKUP`), also when this process has never seen the answer (another worker
    computed it), and the hit makes no query; in either form of a compressed answer."""
    from segments.services import storefront_cache

    settings.ACCESS_TOKEN_CACHE_SECONDS = 5  # the token remembered: no lookup either
    settings.STOREFRONT_GZIP_MIN_BYTES = 1  # stored compressed
    headers = {"Accept-Encoding": accept_encoding}
    first = customer.get(path, headers=headers)
    customer.get(path, headers=headers)  # the script loaded, the rate limiter's lease taken
    storefront_cache._DEPENDENCIES.clear()  # as in a worker that did not compute it
    redis_commands.clear()

    with CaptureQueriesContext(connection) as queries:
        response = customer.get(path, headers=headers)

    assert (response.status_code, response.content) == (200, first.content)
    assert response["ETag"] == first["ETag"]
    assert response.get("Content-Encoding") == (accept_encoding or None)
    assert [command.split(b"\r\n")[2].upper() for command in redis_commands] == [b"EVALSHA"]
    assert len(queries) == 0


def test_on_redis_a_matching_etag_is_answered_304_and_a_changed_answer_200(
    customer, redis_cache, write
):
    first = customer.get(f"{TREES}?siteCode=main")
    unchanged = customer.get(f"{TREES}?siteCode=main", headers={"If-None-Match": first["ETag"]})

    write("PATCH", f"{CATEGORIES}/power", {"localizedName": {"en": "Power!"}})
    changed = customer.get(f"{TREES}?siteCode=main", headers={"If-None-Match": first["ETag"]})

    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (
        304,
        b"",
        first["ETag"],
    )
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert "Power!" in changed.content.decode()
    assert changed["Cache-Control"] == first["Cache-Control"] == "private, no-cache"


def test_on_redis_a_lost_version_or_a_foreign_entry_is_a_miss(customer, shop, redis_cache):
    from segments.services import storefront_cache

    assert _tree_ids(customer) == ["tools", "power"]
    Category.objects.filter(tenant_id=TENANT, public_id="power").update(published=False)
    cache.delete(cache_key(TENANT, versions.TENANT))  # evicted, flushed

    assert _tree_ids(customer) == []

    # An entry that is not an answer of this release under an answer's key: a miss.
    client = cache.client.get_client(write=True)
    for name in client.scan_iter(match=cache.client.make_key("*storefront-answer-r:*")):
        client.set(name, b"\x80\x04not an answer\n{}\n[]")
    Category.objects.filter(tenant_id=TENANT, public_id="power").update(published=True)
    assert _tree_ids(customer) == ["tools", "power"]
    assert storefront_cache._REDIS_KEY_PREFIX == "storefront-answer-r:"
