"""Cached storefront answers served gzip-compressed to the clients that accept it
(`segments/services/storefront_cache.py`): compressed once when stored, the identity body
unchanged for the others, `Vary: Accept-Encoding`, a strong ETag per form."""

from __future__ import annotations

import gzip

import pytest
from django.core.cache import cache
from django.test import override_settings

from segments.services import storefront_cache
from segments.services.storefront_cache import accepts_gzip, gzip_etag

from ..catalog.factories import make_category
from ..conftest import TENANT, Caller
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

BASE = f"/customer-segment/{TENANT}"
TREES = f"{BASE}/segments/items/category-trees?siteCode=main"
ITEMS = f"{BASE}/segments/items?siteCode=main"
ME = f"{BASE}/me/segments?siteCode=main"
PATHS = [TREES, ITEMS, ME]
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(params=["shared cache", "redis", "cache per process"])
def kind(request, settings) -> str:
    """The shared cache (a process's own standing in for it), Redis itself, or a cache per
    process; every answer above 1 byte stored compressed (the test shop's are small)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    else:
        settings.CACHE_SHARED_BY_PROCESSES = request.param == "shared cache"
    settings.STOREFRONT_GZIP_MIN_BYTES = 1
    return request.param


@pytest.fixture
def customer(issue_token, db) -> Caller:
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    gold = make_segment(TENANT, "gold")
    assign_item(gold, power)
    assign_customer(gold, make_customer(TENANT, "c1"))
    return Caller(issue_token(customer_id="c1"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=1.0, *;q=0.5", True),
        ("gzip;q=0.001", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=0, *", False),  # listed: its own weight counts, not the wildcard's
        ("*", True),
        ("*;q=0", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzipped", False),
        ("gzip;q=2", False),  # malformed weight: not accepted
        ("gzip;q=abc", False),
        ("gzip;level=1", True),  # other parameters do not count
        ("deflate;q=0.5, gzip;q=0.8", True),
    ],
)
def test_accept_encoding_is_parsed_with_its_weights(header, expected):
    assert accepts_gzip(header) is expected


def test_the_gzip_etag_is_another_strong_etag():
    assert gzip_etag('"abc"') == '"abc-gzip"'


@pytest.mark.parametrize("path", PATHS)
def test_a_client_that_accepts_gzip_gets_the_identity_body_compressed(kind, customer, path):
    compressed_miss = customer.get(path, headers=GZIP)  # computed now: a miss
    compressed_hit = customer.get(path, headers=GZIP)
    identity = customer.get(path)

    for response in (compressed_miss, compressed_hit):
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.content) == identity.content
        assert response["ETag"] == gzip_etag(identity["ETag"]) != identity["ETag"]
        assert response["Content-Type"] == identity["Content-Type"] == "application/json"
    assert not identity.has_header("Content-Encoding")
    for response in (compressed_hit, identity):
        vary = [value.strip() for value in response["Vary"].split(",")]
        assert vary == ["Authorization", "Accept-Language", "Accept-Encoding"]


@pytest.mark.parametrize("header", [None, "gzip;q=0", "br", "identity", "gzip;q=0, br"])
def test_a_client_that_does_not_accept_gzip_gets_the_bytes_of_today(
    kind, customer, settings, header
):
    """The identity body and ETag are those of an answer never compressed."""
    headers = {"Accept-Encoding": header} if header is not None else {}
    settings.STOREFRONT_GZIP_MIN_BYTES = 10**9
    never_compressed = {path: customer.get(path) for path in PATHS}
    cache.clear()
    settings.STOREFRONT_GZIP_MIN_BYTES = 1

    for path in PATHS:
        for _ in ("miss", "hit"):
            response = customer.get(path, headers=headers)

            assert response.status_code == 200
            assert not response.has_header("Content-Encoding")
            assert response.content == never_compressed[path].content
            assert response["ETag"] == never_compressed[path]["ETag"]
            assert "Accept-Encoding" in response["Vary"]


@pytest.mark.parametrize("path", PATHS)
def test_each_form_is_answered_304_for_its_own_etag(kind, customer, path):
    compressed = customer.get(path, headers=GZIP)
    identity = customer.get(path)

    same_gzip = customer.get(path, headers={**GZIP, "If-None-Match": compressed["ETag"]})
    same_identity = customer.get(path, headers={"If-None-Match": identity["ETag"]})
    weak_gzip = customer.get(path, headers={**GZIP, "If-None-Match": f"W/{compressed['ETag']}"})
    # The other form's ETag names another representation: not this one.
    identity_tag_gzip_asked = customer.get(
        path, headers={**GZIP, "If-None-Match": identity["ETag"]}
    )
    gzip_tag_identity_asked = customer.get(path, headers={"If-None-Match": compressed["ETag"]})

    for response, etag in ((same_gzip, compressed["ETag"]), (same_identity, identity["ETag"])):
        assert (response.status_code, response.content, response["ETag"]) == (304, b"", etag)
        assert "Accept-Encoding" in response["Vary"]
    assert weak_gzip.status_code == 304
    assert identity_tag_gzip_asked.status_code == 200
    assert identity_tag_gzip_asked["Content-Encoding"] == "gzip"
    assert gzip_tag_identity_asked.status_code == 200
    assert gzip_tag_identity_asked.content == identity.content


def test_a_small_answer_is_never_compressed(customer, settings):
    settings.STOREFRONT_GZIP_MIN_BYTES = 1024
    identity = customer.get(TREES)
    assert len(identity.content) < 1024

    response = customer.get(TREES, headers=GZIP)

    assert not response.has_header("Content-Encoding")
    assert (response.content, response["ETag"]) == (identity.content, identity["ETag"])
    assert "Accept-Encoding" in response["Vary"]


def test_an_answer_at_the_threshold_is_compressed(customer, settings):
    settings.STOREFRONT_GZIP_MIN_BYTES = 10**9
    size = len(customer.get(TREES).content)
    cache.clear()
    settings.STOREFRONT_GZIP_MIN_BYTES = size

    assert customer.get(TREES, headers=GZIP)["Content-Encoding"] == "gzip"


def test_the_answer_is_compressed_once_when_stored_not_per_request(kind, customer, monkeypatch):
    compressions = []
    real = storefront_cache.gzip.compress

    def counted(*args, **kwargs):
        compressions.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(storefront_cache.gzip, "compress", counted)

    first = customer.get(TREES, headers=GZIP)
    again = [customer.get(TREES, headers=GZIP) for _ in range(3)]

    assert len(compressions) == 1
    assert all(response.content == first.content for response in again)


def test_a_compressing_middleware_does_not_compress_again(customer, settings):
    settings.STOREFRONT_GZIP_MIN_BYTES = 1
    identity = customer.get(TREES).content
    middleware = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]

    with override_settings(MIDDLEWARE=middleware):
        response = customer.get(TREES, headers=GZIP)

    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == identity


def test_the_match_is_not_cached_and_not_compressed(customer, settings):
    settings.STOREFRONT_GZIP_MIN_BYTES = 1

    response = customer.post(f"{BASE}/segments/match", {"items": [{"id": "p1"}]}, headers=GZIP)

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert response.json() == []


def test_a_write_makes_both_forms_fresh(
    kind, customer, manager, django_capture_on_commit_callbacks
):
    before_gzip = customer.get(TREES, headers=GZIP)
    before = customer.get(TREES)

    with django_capture_on_commit_callbacks(execute=True):
        renamed = manager.request(
            "PATCH", f"/category/{TENANT}/categories/power", {"localizedName": {"en": "Power!"}}
        )
    assert renamed.status_code < 300

    after_gzip = customer.get(TREES, headers={**GZIP, "If-None-Match": before_gzip["ETag"]})
    after = customer.get(TREES, headers={"If-None-Match": before["ETag"]})
    assert (after_gzip.status_code, after.status_code) == (200, 200)
    assert b"Power!" in gzip.decompress(after_gzip.content)
    assert gzip.decompress(after_gzip.content) == after.content
    assert after_gzip["ETag"] == gzip_etag(after["ETag"]) != before_gzip["ETag"]
