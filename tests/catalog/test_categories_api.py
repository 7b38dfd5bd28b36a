"""Categories: CRUD, the forest, moves, deletion, trees, subcategories and parents."""

from __future__ import annotations

import pytest

from catalog.models import Category

from ..conftest import TENANT
from ..errors import error_details
from .factories import make_assignment, make_category, make_product

pytestmark = pytest.mark.django_db

CATEGORIES = f"/category/{TENANT}/categories"
TREES = f"/category/{TENANT}/category-trees"


def _create(caller, category_id, parent=None, **extra):
    body = {"id": category_id, "localizedName": {"en": category_id.title()}, "published": True}
    if parent:
        body["parentId"] = parent
    body.update(extra)
    response = caller.post(CATEGORIES, body)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.fixture
def forest(manager):
    """tools > (power > (drills, saws), hand), garden (unpublished) > hoses; positions shuffled."""
    _create(manager, "tools", position=1)
    _create(manager, "garden", position=0, published=False)
    _create(manager, "power", "tools", position=1)
    _create(manager, "hand", "tools", position=0)
    _create(manager, "saws", "power", position=2)
    _create(manager, "drills", "power", position=1)
    _create(manager, "hoses", "garden")
    return manager


def _paths() -> dict[str, str]:
    by_pk = {c.pk: c.public_id for c in Category.objects.all()}
    return {
        c.public_id: "/".join(by_pk[int(pk)] for pk in c.path.strip("/").split("/"))
        for c in Category.objects.all()
    }


def test_create_answers_the_id_and_get_returns_the_category(manager):
    response = manager.post(
        CATEGORIES,
        {
            "localizedName": {"en": "Tools", "de": "Werkzeuge"},
            "localizedSlug": {"en": "tools"},
            "code": "T-1",
            "ecn": ["4711"],
            "published": True,
            "validity": {"from": "2024-01-01T00:00:00.000Z"},
        },
    )

    assert response.status_code == 201
    category_id = response.json()["id"]
    stored = manager.get(f"{CATEGORIES}/{category_id}").json()
    assert stored["localizedName"] == {"en": "Tools", "de": "Werkzeuge"}
    assert stored["code"] == "T-1"
    assert stored["ecn"] == ["4711"]
    assert stored["published"] is True
    assert stored["position"] == 0
    assert stored["validity"] == {"from": "2024-01-01T00:00:00.000Z"}
    assert stored["metadata"]["version"] == 1
    assert "parentId" not in stored


def test_children_carry_their_parent_id_and_get_the_next_position(forest):
    _create(forest, "clamps", "tools")

    stored = forest.get(f"{CATEGORIES}/clamps").json()

    assert stored["parentId"] == "tools"
    assert stored["position"] == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"localizedName": None}, 400, "localizedName"),
        ({"parentId": "nowhere"}, 400, "parentId"),
        ({"position": -1}, 400, "position"),
        ({"ecn": "4711"}, 400, "ecn"),
        ({"published": "yes"}, 400, "published"),
        ({"code": ""}, 400, "code"),
    ],
)
def test_invalid_categories_are_refused(manager, body, status, field):
    response = manager.post(CATEGORIES, {"id": "x", "localizedName": {"en": "X"}, **body})

    assert response.status_code == status
    assert error_details(response.json())[0]["field"] == field
    assert not Category.objects.exists()


def test_duplicate_ids_and_codes_are_409(manager):
    _create(manager, "tools", code="T")

    assert (
        manager.post(CATEGORIES, {"id": "tools", "localizedName": {"en": "x"}}).status_code == 409
    )
    assert (
        manager.post(
            CATEGORIES, {"id": "other", "localizedName": {"en": "x"}, "code": "T"}
        ).status_code
        == 409
    )
    assert Category.objects.count() == 1


def test_put_upserts_and_refuses_stale_versions(manager):
    body = {"localizedName": {"en": "Tools"}, "published": True}

    assert manager.put(f"{CATEGORIES}/tools", body).status_code == 201
    assert manager.put(f"{CATEGORIES}/tools", {**body, "position": 4}).status_code == 204
    stale = manager.put(f"{CATEGORIES}/tools", {**body, "position": 9, "metadata": {"version": 1}})

    assert stale.status_code == 409
    stored = manager.get(f"{CATEGORIES}/tools").json()
    assert stored["position"] == 4
    assert stored["metadata"]["version"] == 2


def test_moving_a_category_moves_its_whole_subtree(forest):
    response = forest.patch(f"{CATEGORIES}/power", {"parentId": "garden"})

    assert response.status_code == 204
    paths = _paths()
    assert paths["power"] == "garden/power"
    assert paths["drills"] == "garden/power/drills"
    assert paths["saws"] == "garden/power/saws"
    depths = dict(Category.objects.values_list("public_id", "depth"))
    assert depths["drills"] == 2


def test_moving_to_the_root_and_back(forest):
    assert (
        forest.patch(f"{CATEGORIES}/power", [{"op": "remove", "path": "/parentId"}]).status_code
        == 204
    )
    assert _paths()["drills"] == "power/drills"

    assert forest.patch(f"{CATEGORIES}/power", {"parentId": "hand"}).status_code == 204
    assert _paths()["saws"] == "tools/hand/power/saws"


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ({"op": "add", "path": "/media/-", "value": {"url": "https://example.com/a.png"}}, "media"),
        ({"op": "replace", "path": "/id", "value": "other"}, "id"),
        (
            {"op": "replace", "path": "/metadata/createdAt", "value": "2001-01-01T00:00:00Z"},
            "metadata.createdAt",
        ),
    ],
    ids=["media", "id", "createdAt"],
)
def test_a_json_patch_of_a_read_only_category_path_is_a_400(manager, operation, field):
    _create(manager, "tools")
    before = manager.get(f"{CATEGORIES}/tools").json()

    response = manager.patch(f"{CATEGORIES}/tools", [operation])

    assert response.status_code == 400
    assert error_details(response.json())[0]["field"] == field
    assert "read-only" in error_details(response.json())[0]["message"]
    assert manager.get(f"{CATEGORIES}/tools").json() == before


@pytest.mark.parametrize("target", ["power", "drills"])
def test_a_move_under_itself_or_its_descendant_is_a_400_and_changes_nothing(forest, target):
    before = _paths()

    response = forest.patch(f"{CATEGORIES}/power", {"parentId": target})

    assert response.status_code == 400
    assert error_details(response.json())[0]["field"] == "parentId"
    assert _paths() == before


def test_put_with_a_new_parent_moves_too(forest):
    response = forest.put(
        f"{CATEGORIES}/drills",
        {"localizedName": {"en": "Drills"}, "parentId": "hand", "published": True},
    )

    assert response.status_code == 204
    assert _paths()["drills"] == "tools/hand/drills"


def test_delete_refuses_a_category_with_subcategories(forest):
    response = forest.delete(f"{CATEGORIES}/power")

    assert response.status_code == 400
    assert Category.objects.filter(public_id="power").exists()


def test_delete_with_subcategories_removes_the_subtree_and_its_assignments(forest):
    product = make_product(TENANT, "p1")
    make_assignment(Category.objects.get(public_id="drills"), product)

    response = forest.delete(f"{CATEGORIES}/power?withSubcategories=true")

    assert response.status_code == 204
    assert set(Category.objects.values_list("public_id", flat=True)) == {
        "tools",
        "hand",
        "garden",
        "hoses",
    }
    assert not product.category_assignments.exists()


def test_delete_of_a_leaf_and_of_a_missing_category_is_204(forest):
    assert forest.delete(f"{CATEGORIES}/saws").status_code == 204
    assert forest.delete(f"{CATEGORIES}/saws").status_code == 204


def test_list_hides_unpublished_unless_asked(forest):
    published = [c["id"] for c in forest.get(CATEGORIES).json()]
    everything = [c["id"] for c in forest.get(f"{CATEGORIES}?showUnpublished=true").json()]

    assert "garden" not in published
    assert "garden" in everything


def test_show_roots_lists_only_roots(forest):
    response = forest.get(f"{CATEGORIES}?showRoots=true&showUnpublished=true")

    assert sorted(c["id"] for c in response.json()) == ["garden", "tools"]


def test_search_filters_with_q(forest):
    response = forest.post(f"{CATEGORIES}/search", {"q": "parentId:power"})

    assert sorted(c["id"] for c in response.json()) == ["drills", "saws"]


def test_a_reader_cannot_see_unpublished_categories(forest, issue_token):
    from segments_project.tenancy import scopes

    from ..conftest import Caller

    reader = Caller(issue_token(granted=frozenset({scopes.CATEGORY_READ})))

    assert reader.get(f"{CATEGORIES}?showUnpublished=true").status_code == 403
    assert reader.get(f"{CATEGORIES}/garden").status_code == 404
    assert reader.get(f"{CATEGORIES}/tools").status_code == 200


def test_trees_are_nested_in_position_order_without_unpublished_branches(forest):
    response = forest.get(TREES)

    assert response.status_code == 200
    [tools] = response.json()
    assert tools["id"] == "tools"
    assert tools["name"] == "Tools"
    assert [child["id"] for child in tools["subcategories"]] == ["hand", "power"]
    power = tools["subcategories"][1]
    assert power["parentId"] == "tools"
    assert [child["id"] for child in power["subcategories"]] == ["drills", "saws"]


def test_trees_with_unpublished(forest):
    response = forest.get(f"{TREES}?showUnpublished=true")

    assert [tree["id"] for tree in response.json()] == ["garden", "tools"]
    assert response.json()[0]["subcategories"][0]["id"] == "hoses"


def test_trees_for_given_category_ids(forest):
    response = forest.get(f"{TREES}?categoryIds=power,hand")

    assert [tree["id"] for tree in response.json()] == ["hand", "power"]
    assert [child["id"] for child in response.json()[1]["subcategories"]] == ["drills", "saws"]


def test_tree_of_one_category(forest):
    response = forest.get(f"{TREES}/power")

    assert response.json()["id"] == "power"
    assert [child["id"] for child in response.json()["subcategories"]] == ["drills", "saws"]
    assert forest.get(f"{TREES}/missing").status_code == 404
    assert forest.get(f"{TREES}/garden").status_code == 404


def test_subcategories_with_depth(forest):
    all_levels = forest.get(f"{CATEGORIES}/tools/subcategories").json()
    one_level = forest.get(f"{CATEGORIES}/tools/subcategories?depth=1").json()

    assert sorted(c["id"] for c in all_levels) == ["drills", "hand", "power", "saws"]
    assert sorted(c["id"] for c in one_level) == ["hand", "power"]
    assert forest.get(f"{CATEGORIES}/tools/subcategories?depth=0").status_code == 400


def test_parents_are_listed_root_first(forest):
    response = forest.get(f"{CATEGORIES}/saws/parents")

    assert [c["id"] for c in response.json()] == ["tools", "power"]
    assert forest.get(f"{CATEGORIES}/tools/parents").json() == []


def test_a_six_level_tree_of_hundreds_of_categories_takes_constant_queries(
    manager, django_assert_max_num_queries
):
    def grow(parent, depth):
        """A full ternary tree: 364 categories on six levels."""
        if depth > 6:
            return
        for index in range(3):
            node = make_category(
                TENANT, f"{parent.public_id}-{index}", parent=parent, position=2 - index
            )
            grow(node, depth + 1)

    root = make_category(TENANT, "root")
    grow(root, 2)
    assert Category.objects.count() == 364

    # token lookup + the forest
    with django_assert_max_num_queries(2):
        response = manager.get(TREES)
    assert response.status_code == 200

    def deepest(node, depth=1):
        return max([depth, *(deepest(child, depth + 1) for child in node["subcategories"])])

    assert deepest(response.json()[0]) == 6
