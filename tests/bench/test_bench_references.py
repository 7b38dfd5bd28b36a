"""The bench's references (`bench/urls.py`) and its HTTP client, without a server."""

from __future__ import annotations

import gzip
import importlib
import json

import pytest
from django.test import RequestFactory

from bench.http_client import Answer
from segments.api import storefront_views


@pytest.fixture
def bench_urls(monkeypatch):
    """`bench/urls.py`, whose import wraps the storefront's `cached_answer` (undone after)."""
    monkeypatch.setattr(storefront_views, "cached_answer", storefront_views.cached_answer)
    return importlib.import_module("bench.urls")


def _get(bench_urls, **headers):
    request = RequestFactory().get("/customer-segment/acme/bench/bare-large", headers=headers)
    return bench_urls.BareLargeView.as_view()(request, tenant="acme")


def test_the_same_size_bare_view_answers_the_trees_median_size(bench_urls):
    identity = _get(bench_urls)

    assert not identity.has_header("Content-Encoding")
    assert identity.content == bench_urls.BARE_LARGE_BODY
    assert 136_000 <= len(identity.content) < 137_000
    assert json.loads(identity.content)[0]["subcategories"]
    assert "Accept-Encoding" in identity["Vary"]


@pytest.mark.parametrize(("header", "compressed"), [("gzip", True), ("gzip;q=0", False)])
def test_the_same_size_bare_view_serves_its_precompressed_body(bench_urls, header, compressed):
    response = _get(bench_urls, **{"Accept-Encoding": header})

    assert response.has_header("Content-Encoding") is compressed
    if compressed:
        assert response.content == bench_urls.BARE_LARGE_GZIP  # compressed at import
        assert gzip.decompress(response.content) == bench_urls.BARE_LARGE_BODY
    assert "Accept-Encoding" in response["Vary"]


def test_the_clients_answer_reads_a_gzip_body_as_json():
    body = json.dumps({"a": 1}).encode()

    compressed = Answer(200, gzip.compress(body), 1.0, "gzip")

    assert compressed.json() == {"a": 1} and compressed.content == body
    assert Answer(200, body, 1.0).json() == {"a": 1}
