"""Precise invalidation of the storefront's cached answers (`tenancy/versions.py`).

A write makes stale exactly the answers it can change: the next read of those is fresh,
including a read whose answer was computed from the data before the commit and stored
after the write published its versions; every other cached answer stays a hit. Each test
runs with the shared cache (Redis in production, and a process's own in its place) and
without one (versions in rows). Every answer is read in both forms, gzip-compressed (as
storefronts ask, first) and identity, which must be the same answer.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category, Product
from segments_project.tenancy import versions

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT, Caller
from .factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

pytestmark = pytest.mark.django_db

BASE = f"/customer-segment/{TENANT}"
TREES = f"{BASE}/segments/items/category-trees"
ITEMS = f"{BASE}/segments/items"
ME = f"{BASE}/me/segments"
SEGMENTS = f"{BASE}/segments"
CATEGORIES = f"/category/{TENANT}/categories"
CUSTOMERS = f"/customer/{TENANT}/customers"
PRODUCTS = f"/product/{TENANT}/products"


@pytest.fixture(params=["shared cache", "redis", "cache per process"])
def shared(request, settings) -> bool:
    """The shared cache (a process's own standing in for it), Redis itself (one command per
    hit, `storefront_cache._REDIS_LOOKUP`), or a cache per process (versions in rows); every
    answer stored compressed (the shop's answers are smaller than the usual threshold)."""
    settings.STOREFRONT_GZIP_MIN_BYTES = 1
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    else:
        settings.CACHE_SHARED_BY_PROCESSES = request.param == "shared cache"
    return settings.CACHE_SHARED_BY_PROCESSES


@pytest.fixture
def shop(db):
    """tools > power, hand (hammer in it); garden; segments gold (power, hammer; c1),
    silver (garden; c2), partners (hand; buyer for acme, B2B), germans (a rule, nothing
    assigned to anyone yet; holds garden too)."""
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    hand = make_category(TENANT, "hand", parent=tools)
    garden = make_category(TENANT, "garden")
    hammer = make_product(TENANT, "hammer")
    make_assignment(hand, hammer)
    gold = make_segment(TENANT, "gold")
    silver = make_segment(TENANT, "silver")
    partners = make_segment(TENANT, "partners")
    germans = make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    assign_item(gold, power)
    assign_item(gold, hammer)
    assign_item(silver, garden)
    assign_item(partners, hand)
    assign_item(germans, garden)
    acme = make_legal_entity(TENANT, "acme")
    assign_customer(gold, make_customer(TENANT, "c1"))
    assign_customer(silver, make_customer(TENANT, "c2"))
    buyer = make_customer(TENANT, "buyer", legal_entities=(acme,))
    assign_customer(partners, buyer, acme)
    return {"gold": gold, "silver": silver, "partners": partners, "germans": germans}


@pytest.fixture
def callers(issue_token, shop) -> dict[str, Caller]:
    return {
        "c1": Caller(issue_token(customer_id="c1")),
        "c2": Caller(issue_token(customer_id="c2")),
        "buyer": Caller(issue_token(customer_id="buyer", legal_entity_id="acme")),
    }


@pytest.fixture
def write(manager, django_capture_on_commit_callbacks):
    """Sends a write as the back office and runs what it scheduled for after commit."""

    def send(method: str, path: str, body=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = manager.request(method, path, body)
        assert response.status_code < 300, response.content
        return response

    return send


def _trees(caller: Caller, *, both_forms: bool = True) -> list[str]:
    def walk(nodes):
        return [f"{n['id']}:{n['name']['en']}" for n in nodes] + [
            i for n in nodes for i in walk(n["subcategories"])
        ]

    path = f"{TREES}?includeProductCategories=true&siteCode=main"
    return walk(_read(caller, path, both_forms=both_forms))


def _read(caller: Caller, path: str, *, both_forms: bool = True):
    """The answer read in both forms: the gzip one first, then the identity one, which
    must hold the same bytes (or the gzip one only)."""
    compressed = caller.get(path, headers={"Accept-Encoding": "gzip"})
    if not both_forms:
        assert compressed.status_code == 200, compressed.content
        body = compressed.content
        if compressed.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)
    identity = caller.get(path)
    assert (compressed.status_code, identity.status_code) == (200, 200), identity.content
    body = compressed.content
    if len(identity.content) >= settings.STOREFRONT_GZIP_MIN_BYTES:
        assert compressed["Content-Encoding"] == "gzip"
        body = gzip.decompress(body)
    assert body == identity.content
    return identity.json()


def _items(caller: Caller) -> list[str]:
    return sorted(
        f"{i['segmentId']}:{i['item']['id']}:{i['item']['name']['en']}"
        for i in _read(caller, f"{ITEMS}?siteCode=main")
    )


def _me(caller: Caller) -> list[str]:
    return [
        f"{s['id']}:{s['status']}:{s['name']['en']}" for s in _read(caller, f"{ME}?siteCode=main")
    ]


def _view(caller: Caller) -> tuple:
    return (_trees(caller), _items(caller), _me(caller))


def _queries(read: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        read()
    return len(queries)


# (who reads, the write, who else keeps their cached answers)
WRITES = {
    "member added": ("c2", ("PUT", f"{SEGMENTS}/gold/customers/c2", {}), ["c1", "buyer"]),
    "member removed": ("c1", ("DELETE", f"{SEGMENTS}/gold/customers/c1", None), ["c2", "buyer"]),
    "B2B member added (legal entity)": (
        "buyer",
        ("PUT", f"{SEGMENTS}/silver/customers/buyer/acme", {}),
        ["c1", "c2"],
    ),
    "B2B member removed (legal entity)": (
        "buyer",
        ("DELETE", f"{SEGMENTS}/partners/customers/buyer/acme", None),
        ["c1", "c2"],
    ),
    "legal entity link removed": (
        "buyer",
        ("PATCH", f"{CUSTOMERS}/buyer", {"legalEntityIds": []}),
        ["c1", "c2"],
    ),
    "rule membership by a customer write (AUTOMATIC)": (
        "c1",
        ("PATCH", f"{CUSTOMERS}/c1", {"preferredLanguage": "de"}),
        ["c2", "buyer"],
    ),
    "customer deleted": ("c2", ("DELETE", f"{CUSTOMERS}/c2", None), ["c1", "buyer"]),
    "item assigned": (
        "c2",
        ("PUT", f"{SEGMENTS}/silver/items/PRODUCT/hammer", {}),
        ["c1", "buyer"],
    ),
    "item removed": (
        "c1",
        ("DELETE", f"{SEGMENTS}/gold/items/CATEGORY/power", None),
        ["c2", "buyer"],
    ),
    "segment renamed": ("c2", ("PATCH", f"{SEGMENTS}/silver", {"name": {"en": "S"}}), ["c1"]),
    "segment deactivated": (
        "c1",
        ("PATCH", f"{SEGMENTS}/gold", {"status": "INACTIVE"}),
        ["c2", "buyer"],
    ),
    "segment moved to another site": (
        "buyer",
        ("PATCH", f"{SEGMENTS}/partners", {"siteCode": "outlet"}),
        ["c1", "c2"],
    ),
    "segment validity ended": (
        "c2",
        ("PATCH", f"{SEGMENTS}/silver", {"validity": {"to": "2001-01-01T00:00:00Z"}}),
        ["c1", "buyer"],
    ),
    "category renamed": (
        "c2",
        ("PATCH", f"{CATEGORIES}/garden", {"localizedName": {"en": "Yard"}}),
        ["c1", "buyer"],
    ),
    "category moved": (
        "c2",
        ("PATCH", f"{CATEGORIES}/garden", {"parentId": "tools"}),
        ["c1", "buyer"],
    ),
    "category moved out": ("c1", ("PATCH", f"{CATEGORIES}/power", {"parentId": None}), ["c2"]),
    "category created under an assigned one": (
        "c2",
        (
            "POST",
            CATEGORIES,
            {"id": "lawn", "parentId": "garden", "localizedName": {"en": "L"}, "published": True},
        ),
        ["c1", "buyer"],
    ),
    "category deleted": ("c2", ("DELETE", f"{CATEGORIES}/garden", None), ["c1", "buyer"]),
    "product renamed": (
        "c1",
        ("PATCH", f"{PRODUCTS}/hammer", {"name": {"en": "Mallet"}}),
        ["c2", "buyer"],
    ),
    "product put in a category (grafted tree)": (
        "c1",
        ("POST", f"{CATEGORIES}/garden/assignments", {"ref": {"id": "hammer", "type": "PRODUCT"}}),
        ["c2", "buyer"],
    ),
    "product taken out of its category": (
        "c1",
        ("DELETE", f"{CATEGORIES}/hand/assignments/references/hammer", None),
        ["c2", "buyer"],
    ),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_no_stale_answer_after_a_write_and_other_answers_stay_cached(shared, callers, write, name):
    reader, (method, path, body), unaffected = WRITES[name]
    before = {who: _view(caller) for who, caller in callers.items()}
    warm = {who: _queries(lambda c=caller: _view(c)) for who, caller in callers.items()}

    write(method, path, body)

    after = _view(callers[reader]) if name != "customer deleted" else None  # tokens gone
    for who in unaffected:
        # Still served from the cache: as few queries as a warm read (no answer computed).
        assert _queries(lambda c=callers[who]: _view(c)) == warm[who], who
        assert _view(callers[who]) == before[who]
    if after is not None:
        assert after != before[reader]
        assert after == _view_uncached(callers[reader])


def _view_uncached(caller: Caller) -> tuple:
    cache.clear()
    return _view(caller)


def test_the_test_can_tell_a_cache_hit_from_a_miss(shared, callers, write):
    """The query count of the test above separates a hit from a computed answer."""
    _view(callers["c1"])
    warm = _queries(lambda: _view(callers["c1"]))

    write("PATCH", f"{CATEGORIES}/power", {"localizedName": {"en": "Power!"}})

    assert _queries(lambda: _view(callers["c1"])) > warm


RACES = {
    "membership": lambda shop: assign_customer(shop["gold"], _customer("c2")),
    "item": lambda shop: assign_item(shop["silver"], Product.objects.get(public_id="hammer")),
    "catalog": lambda shop: Category.objects.filter(public_id="garden").update(name={"en": "Yard"}),
}
RACE_KEYS = {
    "membership": lambda shop: [versions.customer_key("c2")],
    "item": lambda shop: [versions.segment_key(shop["silver"].pk), versions.ALL_SEGMENTS],
    "catalog": lambda shop: [
        versions.segment_key(shop["silver"].pk, versions.TREE),
        versions.ALL_SEGMENTS,
    ],
}


def _customer(customer_id: str):
    from segments.models import Customer

    return Customer.objects.get(tenant_id=TENANT, public_id=customer_id)


@pytest.mark.parametrize("kind", list(RACES))
def test_an_answer_computed_before_a_commit_and_stored_after_it_is_never_served(
    shared, shop, callers, monkeypatch, kind
):
    """A reader reads the versions, computes from the snapshot before a write's commit,
    and stores its answer only after the write committed and published (here: the write
    commits and publishes right after the reader's data was read): the next read does not
    take that answer."""
    from segments.api import storefront_views

    before = _trees(callers["c2"])
    cache.clear()
    real_forest = storefront_views.segment_category_forest
    raced = []

    def forest_then_the_write(*args, **kwargs):
        forest = real_forest(*args, **kwargs)  # the data before the write
        if not raced:
            raced.append(True)
            RACES[kind](shop)  # the write commits...
            versions.publish(TENANT, RACE_KEYS[kind](shop))  # ...and publishes
        return forest

    monkeypatch.setattr(storefront_views, "segment_category_forest", forest_then_the_write)

    # Computed before the write, then stored (one read: the next one must be fresh).
    assert _trees(callers["c2"], both_forms=False) == before
    assert raced

    after = _trees(callers["c2"])
    assert after != before
    assert after == _view_uncached(callers["c2"])[0]


def test_a_warm_read_of_an_answer_this_process_has_not_seen_is_still_a_hit(callers, monkeypatch):
    """Another process computed the answer: its segment versions take one more round
    trip, the answer is not computed again."""
    from segments.services import storefront_cache

    _trees(callers["c1"])
    warm = _queries(lambda: _trees(callers["c1"]))
    storefront_cache._DEPENDENCIES.clear()

    assert _queries(lambda: _trees(callers["c1"])) == warm


def test_an_item_change_of_a_segment_with_many_members_publishes_two_keys(shop, write, published):
    customers = [make_customer(TENANT, f"m{number}") for number in range(50)]
    for customer in customers:
        assign_customer(shop["silver"], customer)

    write("PUT", f"{SEGMENTS}/silver/items/PRODUCT/hammer", {})

    assert published == [
        (TENANT, frozenset({versions.segment_key(shop["silver"].pk), versions.ALL_SEGMENTS}))
    ]


def test_a_coupon_write_leaves_every_answer_cached(shop, callers, write, published):
    _trees(callers["c1"])

    write(
        "POST",
        f"/coupon/{TENANT}/coupons",
        {
            "code": "TENOFF",
            "name": "Ten off",
            "discountType": "ABSOLUTE",
            "discountAbsolute": {"amount": 10, "currency": "EUR"},
        },
    )

    assert published == []


def test_an_entry_of_another_shape_is_a_miss_not_an_error():
    """A shared Redis may still hold answers an earlier release stored (a rolling deploy)."""
    from segments.services.storefront_cache import CachedAnswer, _answer

    class Earlier:
        body, etag, headers, version = b"[]", '"x"', {}, 3

    answer = CachedAnswer(body=b"[]", etag='"x"', headers={}, versions={"t": 1})

    assert _answer(Earlier()) is None
    assert _answer(None) is None
    assert _answer(answer) is answer


def test_a_category_rename_leaves_the_answers_that_do_not_show_it_cached(shared, callers, write):
    """garden is assigned to silver: c2's trees and items show it, its segments do not."""
    me = f"{ME}?siteCode=main"
    callers["c2"].get(me)
    _trees(callers["c2"])
    warm_me = _queries(lambda: callers["c2"].get(me))
    warm_trees = _queries(lambda: _trees(callers["c2"]))

    write("PATCH", f"{CATEGORIES}/garden", {"localizedName": {"en": "Yard"}})

    assert _queries(lambda: callers["c2"].get(me)) == warm_me
    assert _queries(lambda: _trees(callers["c2"])) > warm_trees
    assert _trees(callers["c2"]) == ["garden:Yard"]
