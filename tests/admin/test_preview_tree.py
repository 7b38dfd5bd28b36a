"""The storefront preview's category tree (collapsed, counted, attributed only where a
segment gives a node) and the customer's segments that do not count now, with why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Category
from segments.admin.views.pages import sites_of
from tests.catalog.factories import make_assignment, make_category, make_product
from tests.segments.factories import assign_customer, assign_item, make_customer, make_segment

from .conftest import OTHER_TENANT, TENANT

PREVIEW = reverse("admin:segments_segment_preview")
TREE = reverse("admin:segments_segment_preview_tree")

pytestmark = pytest.mark.django_db


@pytest.fixture
def electronics(shop) -> dict[str, Any]:
    """Electronics > Audio > Headphones | Speakers; alice (of `shop`) in segment audio
    (gives Audio) and vip (gives Headphones), and in a scheduled, an expired, an inactive
    and another site's segment."""
    now = timezone.now()
    root = make_category(TENANT, "electronics", name="Electronics", position=5)
    audio = make_category(TENANT, "audio", parent=root, name="Audio")
    headphones = make_category(TENANT, "headphones", parent=audio, name="Headphones")
    speakers = make_category(TENANT, "speakers", parent=audio, name="Speakers", position=1)
    for number, category in enumerate([headphones, headphones, speakers]):
        make_assignment(category, make_product(TENANT, f"e{number}"))
    audio_fans = make_segment(TENANT, "audio-fans")
    audio_fans.name = {"en": "Audio fans"}
    audio_fans.save()
    vip = make_segment(TENANT, "vip")
    vip.name = {"en": "VIP customers"}
    vip.save()
    assign_item(audio_fans, audio)
    assign_item(vip, headphones)
    others = [
        make_segment(TENANT, "summer", valid_from=now + timedelta(days=30)),
        make_segment(TENANT, "last-year", valid_to=now - timedelta(days=30)),
        make_segment(TENANT, "paused", status="INACTIVE"),
        make_segment(TENANT, "outlet-only", site="outlet"),
    ]
    for segment in [audio_fans, vip, *others]:
        assign_customer(segment, shop["alice"])
    for segment in others:
        assign_item(segment, root)
    return {"audio": audio, "alice": shop["alice"]}


def _preview(client, customer, **params) -> dict[str, Any]:
    response = client.get(PREVIEW, {"customer": customer.pk, "site": "main", **params})
    assert response.status_code == 200
    return response.context["result"]


def _nodes(forest: list[dict], client=None) -> dict[str, dict]:
    """Every node of the tree, each category opened (its subcategories loaded from the
    preview's tree page, as the page does) when a client is given."""
    found = {}
    for node in forest:
        found[node["id"]] = node
        if client is not None and node["children_url"]:
            found.update(_nodes(opened(client, node), client))
    return found


def opened(client, node: dict) -> list[dict]:
    """The subcategories the page loads when the node is opened."""
    response = client.get(node["children_url"])
    assert response.status_code == 200
    return response.context["nodes"]


def test_attribution_only_where_a_segment_gives_the_node(merchandiser, electronics):
    nodes = _nodes(_preview(merchandiser, electronics["alice"])["forest"], merchandiser)

    shown = {
        node_id: (node["name"], node["kind"], [name for _, name in node["given_by"]])
        for node_id, node in nodes.items()
        if node_id in {"electronics", "audio", "headphones", "speakers"}
    }
    assert shown == {
        "electronics": ("Electronics", "path", []),
        "audio": ("Audio", "given", ["Audio fans"]),
        "headphones": ("Headphones", "given", ["VIP customers"]),
        "speakers": ("Speakers", "included", []),
    }


def test_each_node_counts_the_products_in_it_and_below(merchandiser, electronics):
    nodes = _nodes(_preview(merchandiser, electronics["alice"])["forest"], merchandiser)

    counts = {node_id: nodes[node_id]["product_count"] for node_id in nodes}
    assert counts["headphones"] == 2
    assert counts["speakers"] == 1
    assert counts["audio"] == counts["electronics"] == 3
    # Clothing (given by gold in `shop`): its shirt and its parka.
    assert counts["clothing"] == 2


def test_segments_that_do_not_count_say_why(merchandiser, electronics):
    result = _preview(merchandiser, electronics["alice"])

    why = {entry["segment"].public_id: entry["why"] for entry in result["not_counting"]}
    assert set(why) == {"summer", "last-year", "paused", "outlet-only"}
    assert why["summer"].startswith("not yet active (from ")
    assert why["last-year"].startswith("expired (ended ")
    assert why["paused"] == "inactive"
    assert why["outlet-only"] == "other site (outlet)"
    counting = [entry["segment"].public_id for entry in result["segments"]]
    assert counting == ["audio-fans", "gold", "vip"]


def test_the_tree_is_collapsed_named_and_explained(merchandiser, electronics):
    response = merchandiser.get(PREVIEW, {"customer": electronics["alice"].pk, "site": "main"})
    html = response.content.decode()
    tree = html[html.index('id="preview-categories"') : html.index('id="preview-products"')]

    assert "<details data-children=" in tree and "<details open" not in tree
    assert "label" not in tree
    assert ">Electronics<" in tree and "3 products" in tree
    assert "item_type=CATEGORY&amp;item_id=electronics" in tree
    assert "not yet active" in html and "other site (outlet)" in html
    # One level: the subcategories are loaded when a category is opened.
    assert 'data-category="audio"' not in tree
    roots = response.context["result"]["forest"]
    electronics_node = next(node for node in roots if node["id"] == "electronics")
    audio = merchandiser.get(electronics_node["children_url"]).content.decode()
    assert 'data-category="audio"' in audio and ">Audio fans<" in audio
    assert 'data-category="speakers"' not in audio


def _grow(root, start: int, stop: int) -> None:
    """Categories numbered start to stop under the root, each with a product."""
    parent = root
    for number in range(start, stop):
        category = make_category(TENANT, f"grown-{root.public_id}-{number}", parent=parent)
        make_assignment(category, make_product(TENANT, f"g-{root.public_id}-{number}"))
        parent = category if number % 3 == 0 else parent


def test_the_queries_do_not_grow_with_the_tree(merchandiser, electronics):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _preview(merchandiser, electronics["alice"])
        return len(captured)

    _grow(electronics["audio"], 0, 3)
    small = queries()
    _grow(electronics["audio"], 3, 33)
    large = queries()

    nodes = _nodes(_preview(merchandiser, electronics["alice"])["forest"], merchandiser)
    assert len(nodes) > 35
    assert large == small


def test_the_page_holds_the_roots_and_a_level_is_loaded_in_fixed_queries(merchandiser, electronics):
    def level(url: str) -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as captured:
            response = merchandiser.get(url)
        assert response.status_code == 200
        return len(captured), response.context["nodes"]

    roots = _preview(merchandiser, electronics["alice"])["forest"]
    electronics_root = next(node for node in roots if node["id"] == "electronics")
    audio = next(node for node in level(electronics_root["children_url"])[1])
    small, _ = level(audio["children_url"])
    _grow(electronics["audio"], 0, 40)
    large, children = level(audio["children_url"])

    assert large == small
    # Audio's own level: headphones, speakers and the first grown category, not deeper ones.
    assert {node["id"] for node in children} >= {"headphones", "speakers"}
    assert len(children) < 20
    page = merchandiser.get(PREVIEW, {"customer": electronics["alice"].pk, "site": "main"})
    assert "grown-" not in page.content.decode()


def test_a_level_names_who_gives_it_and_what_it_includes(merchandiser, electronics):
    roots = _preview(merchandiser, electronics["alice"])["forest"]
    audio_url = next(node for node in roots if node["id"] == "electronics")["children_url"]

    audio = merchandiser.get(audio_url).context["nodes"][0]
    below = {node["id"]: node for node in merchandiser.get(audio["children_url"]).context["nodes"]}

    assert (audio["id"], audio["kind"], audio["given_by"]) == (
        "audio", "given", [("audio-fans", "Audio fans")]
    )  # fmt: skip
    assert below["headphones"]["kind"] == "given"
    assert below["speakers"]["kind"] == "included" and below["speakers"]["given_by"] == []
    assert below["speakers"]["children_url"] == ""  # a leaf: nothing to load
    assert "item_type=CATEGORY&item_id=speakers" in below["speakers"]["explain_url"]


def test_the_tree_page_answers_404_outside_the_customers_tree(merchandiser, electronics, shop):
    roots = _preview(merchandiser, electronics["alice"])["forest"]
    url = next(node for node in roots if node["id"] == "electronics")["children_url"]
    alien = make_customer(OTHER_TENANT, "alien")
    make_category(OTHER_TENANT, "secret", parent=make_category(OTHER_TENANT, "alien-root"))
    alien_gold = make_segment(OTHER_TENANT, "alien-gold")
    assign_customer(alien_gold, alien)
    assign_item(alien_gold, Category.objects.get(tenant_id=OTHER_TENANT, public_id="alien-root"))

    def status(**changes: str) -> int:
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)) | changes
        response = merchandiser.get(TREE, query)
        assert "secret" not in response.content.decode()
        return response.status_code

    assert status() == 200
    assert status(customer=str(alien.pk), category="alien-root") == 404  # another tenant's
    assert status(category="alien-root") == 404  # not in alice's tree
    assert status(category="shoes") == 404  # the tenant's, not in alice's tree
    assert status(category="nowhere") == 404
    assert status(customer="") == 404
    assert status(segment=str(shop["foreign"].pk), category="alien-root") == 404


def test_the_site_choice_reads_each_site_once(shop):
    for number in range(30):
        make_segment(TENANT, f"many-{number}", site="main" if number % 2 else "outlet")

    with CaptureQueriesContext(connection) as captured:
        sites = sites_of(TENANT)

    assert sites == ["main", "outlet"]
    # One row per site code, not one per segment: only the code is selected and distinct.
    (query,) = captured.captured_queries
    assert "public_id" not in query["sql"] and "DISTINCT" in query["sql"]
