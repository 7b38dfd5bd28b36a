"""The plain query parameters of the storefront reads: how they parse, and the 400 a bad
value answers (the filter sets in segments/api/storefront_filters.py)."""

from __future__ import annotations

import pytest

from ..conftest import TENANT
from .factories import make_segment

pytestmark = pytest.mark.django_db

BASE = f"/customer-segment/{TENANT}"
ITEMS, TREES, MINE = (
    f"{BASE}/segments/items",
    f"{BASE}/segments/items/category-trees",
    f"{BASE}/me/segments",
)
READS = [ITEMS, TREES, MINE]


@pytest.fixture
def segments(db):
    make_segment(TENANT, "gold")
    make_segment(TENANT, "outlet", site="outlet")
    make_segment(TENANT, "dormant", status="INACTIVE")


def _error(response) -> tuple[str, list[dict]]:
    assert response.status_code == 400, response.json()
    body = response.json()
    return body["message"], body["details"]


@pytest.mark.parametrize("url", READS)
@pytest.mark.parametrize("name", ["siteCode", "customerId", "legalEntityId"])
@pytest.mark.parametrize("value", ["", "a%20b", "a/b"])
def test_an_id_parameter_given_badly_or_empty_is_a_400(segments, manager, url, name, value):
    message, details = _error(manager.get(f"{url}?{name}={value}"))
    assert message.startswith(f"{name} must be 1 to 128 characters")
    assert details == [{"field": name, "type": "invalid", "message": message}]


@pytest.mark.parametrize("url", READS)
def test_only_active_is_a_boolean(segments, manager, url):
    message, details = _error(manager.get(f"{url}?onlyActive=sometimes"))
    assert message == "onlyActive must be true or false."
    assert details == [{"field": "onlyActive", "type": "invalid", "message": message}]


def test_the_first_bad_parameter_read_is_the_one_reported(segments, manager):
    message, _ = _error(manager.get(f"{MINE}?onlyActive=x&customerId=a%20b"))
    assert message.startswith("customerId must be")
    message, _ = _error(manager.get(f"{TREES}?includeProductCategories=x&onlyActive=y"))
    assert message == "onlyActive must be true or false."


@pytest.mark.parametrize("value", ["TRUE", "1", "true"])
def test_only_active_true_leaves_out_inactive_segments(segments, manager, value):
    response = manager.get(f"{MINE}?onlyActive={value}&siteCode=main")
    assert sorted(segment["id"] for segment in response.json()) == ["gold"]


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_only_active_false_reads_every_segment_of_the_site(segments, manager, value):
    response = manager.get(f"{MINE}?onlyActive={value}&siteCode=main")
    assert sorted(segment["id"] for segment in response.json()) == ["dormant", "gold"]


def test_include_product_categories_is_a_boolean(segments, manager):
    assert manager.get(f"{TREES}?includeProductCategories=1").status_code == 200
    message, _ = _error(manager.get(f"{TREES}?includeProductCategories=x"))
    assert message == "includeProductCategories must be true or false."


def test_my_segments_never_show_the_segments_rules(segments, manager):
    make_segment(TENANT, "germany", criteria={"q": "addresses.country:DE"})

    documents = manager.get(f"{MINE}?onlyActive=false&siteCode=main").json()

    assert "germany" in [document["id"] for document in documents]
    assert all("criteria" not in document for document in documents)
    assert "criteria" in manager.get(f"{BASE}/segments/germany").json()
