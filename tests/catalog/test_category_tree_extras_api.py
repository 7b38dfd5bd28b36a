"""The Category Tree API's extras: tree search, rebuild (verify and repair a root's stored
paths, depths and sibling positions) and the deprecated single tree."""

from __future__ import annotations

import pytest

from catalog.models import Category
from catalog.services.categories import category_patch, category_tree_rebuild
from segments_project.errors import NotFound
from tests.errors import error_details

from ..conftest import TENANT
from .factories import make_category

pytestmark = pytest.mark.django_db

CATEGORIES = f"/category/{TENANT}/categories"
TREES = f"/category/{TENANT}/category-trees"


@pytest.fixture
def forest(db) -> dict[str, Category]:
    """tools > (hand, power > (drills, saws)); garden (unpublished) > hoses."""
    tools = make_category(TENANT, "tools", position=0, name="Tools")
    power = make_category(TENANT, "power", parent=tools, position=1)
    made = {
        "tools": tools,
        "power": power,
        "hand": make_category(TENANT, "hand", parent=tools, position=0),
        "drills": make_category(TENANT, "drills", parent=power, position=0),
        "saws": make_category(TENANT, "saws", parent=power, position=1),
    }
    garden = make_category(TENANT, "garden", position=1, published=False)
    made["garden"] = garden
    made["hoses"] = make_category(TENANT, "hoses", parent=garden)
    return made


def _stored() -> dict[str, tuple[str, int, int]]:
    return {c.public_id: (c.path, c.depth, c.position) for c in Category.objects.all()}


# --- POST category-trees/search ----------------------------------------------------------


def test_tree_search_answers_the_trees_of_the_body_ids(forest, manager):
    response = manager.post(f"{TREES}/search", {"categoryIds": ["power", "hand"]})

    assert response.status_code == 200
    assert [tree["id"] for tree in response.json()] == ["hand", "power"]
    assert [child["id"] for child in response.json()[1]["subcategories"]] == ["drills", "saws"]
    assert response.json() == manager.get(f"{TREES}?categoryIds=power,hand").json()


def test_tree_search_shows_unpublished_trees_only_when_asked(forest, manager):
    body = {"categoryIds": ["garden", "tools"]}

    assert [t["id"] for t in manager.post(f"{TREES}/search", body).json()] == ["tools"]
    shown = manager.post(f"{TREES}/search?showUnpublished=true", body).json()
    assert [t["id"] for t in shown] == ["tools", "garden"]  # position order


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "categoryIds"),
        ({"categoryIds": None}, "categoryIds"),
        ({"categoryIds": "tools"}, "categoryIds"),
        ({"categoryIds": ["a/b"]}, "categoryIds"),
        ({"categoryIds": [f"c{i}" for i in range(201)]}, "categoryIds"),
        (["tools"], "body"),
    ],
)
def test_a_bad_tree_search_is_a_400_naming_the_field(forest, manager, body, field):
    response = manager.post(f"{TREES}/search", body)

    assert response.status_code == 400
    assert error_details(response.json())[0]["field"] == field


def test_tree_search_is_not_taken_for_a_category_id(forest, manager):
    assert manager.get(f"{TREES}/search").status_code == 405
    assert manager.post(f"{TREES}/search", {"categoryIds": []}).json() == []


# --- POST category-trees/{rootCategoryId}/rebuild ------------------------------------------


def test_rebuild_of_a_sound_tree_changes_nothing_and_answers_the_tree(forest, manager):
    before = _stored()

    response = manager.post(f"{TREES}/tools/rebuild")

    assert response.status_code == 200
    assert response.json() == manager.get(f"{TREES}/tools").json()
    assert _stored() == before


def test_rebuild_repairs_corrupted_paths_depths_and_repeated_positions(
    forest, manager, django_capture_on_commit_callbacks, published
):
    sound = _stored()
    # A subtree's paths point nowhere, a depth is off, two siblings share a position.
    Category.objects.filter(public_id="power").update(path="/999/", depth=4)
    Category.objects.filter(public_id="drills").update(path="/999/1/")
    Category.objects.filter(public_id="saws").update(depth=0, position=0)
    broken = manager.get(f"{TREES}/tools").json()
    assert [child["id"] for child in broken["subcategories"]] == ["hand"]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"{TREES}/tools/rebuild")

    assert response.status_code == 200
    power = response.json()["subcategories"][1]
    assert [child["id"] for child in power["subcategories"]] == ["drills", "saws"]
    repaired = _stored()
    assert repaired["power"] == sound["power"]
    assert repaired["drills"] == sound["drills"]
    # saws (position 0 now, like drills, and after it by id) moves up to position 1.
    assert repaired["saws"] == (sound["saws"][0], sound["saws"][1], 1)
    assert Category.objects.get(public_id="saws").version == 2
    assert Category.objects.get(public_id="drills").version == 1
    # A repair may move anything: every storefront answer of the tenant goes stale.
    assert published == [(TENANT, frozenset({"t"}))]
    assert repaired["garden"] == sound["garden"]


def test_rebuild_keeps_gaps_and_order_of_positions(forest):
    # Through the service, which keeps the tree key (a key left stale would be repaired).
    category_patch(tenant=TENANT, category_id="saws", patch={"position": 7})

    assert category_tree_rebuild(tenant=TENANT, root_category_id="tools") == 0
    assert Category.objects.get(public_id="saws").position == 7


def test_rebuild_repairs_a_corrupted_root_path(forest):
    Category.objects.filter(public_id="tools").update(path="/1/2/", depth=1)

    repaired = category_tree_rebuild(tenant=TENANT, root_category_id="tools")

    tools = Category.objects.get(public_id="tools")
    assert repaired == 1
    assert (tools.path, tools.depth) == (f"/{tools.pk}/", 0)


def test_rebuild_costs_one_query_per_level(forest, django_assert_num_queries):
    # savepoint, lock the tenant, the root, three levels of children (the last one empty),
    # release
    with django_assert_num_queries(7):
        assert category_tree_rebuild(tenant=TENANT, root_category_id="tools") == 0


@pytest.mark.parametrize("category_id", ["missing", "power"])
def test_rebuild_of_a_missing_or_non_root_category_is_a_404(forest, manager, category_id):
    response = manager.post(f"{TREES}/{category_id}/rebuild")

    assert response.status_code == 404
    assert response.json()["resourceId"] == category_id
    with pytest.raises(NotFound):
        category_tree_rebuild(tenant=TENANT, root_category_id=category_id)


def test_rebuild_of_an_unpublished_root_answers_it_when_asked(forest, manager):
    assert manager.post(f"{TREES}/garden/rebuild").status_code == 404
    response = manager.post(f"{TREES}/garden/rebuild?showUnpublished=true")

    assert response.status_code == 200
    assert response.json()["subcategories"][0]["id"] == "hoses"


def test_rebuild_needs_the_manage_scope(forest, reader):
    assert reader.post(f"{TREES}/tools/rebuild").status_code == 403


# --- GET categories/categoryTree (deprecated) -----------------------------------------------


def test_the_deprecated_tree_is_the_first_published_tree_in_its_old_shape(forest, reader):
    response = reader.get(f"{CATEGORIES}/categoryTree")

    assert response.status_code == 200
    tree = response.json()
    assert tree["id"] == "tools"
    assert tree["name"] == "Tools"
    assert tree["published"] is True
    assert "localizedName" not in tree and "validity" not in tree
    assert [child["id"] for child in tree["subcategories"]] == ["hand", "power"]
    assert tree["subcategories"][1]["parentId"] == "tools"
    assert [c["id"] for c in tree["subcategories"][1]["subcategories"]] == ["drills", "saws"]


def test_the_deprecated_tree_leaves_out_unpublished_categories(forest, manager):
    Category.objects.filter(public_id="power").update(published=False)

    tree = manager.get(f"{CATEGORIES}/categoryTree").json()

    assert [child["id"] for child in tree["subcategories"]] == ["hand"]


def test_the_deprecated_tree_of_a_tenant_without_published_categories_is_a_404(manager):
    make_category(TENANT, "draft", published=False)

    assert manager.get(f"{CATEGORIES}/categoryTree").status_code == 404


def test_the_deprecated_route_is_not_taken_for_a_category_id(forest, manager):
    assert manager.get(f"{CATEGORIES}/categoryTree").json()["id"] == "tools"
    assert manager.get(f"{CATEGORIES}/tools").json()["id"] == "tools"
