"""The plain query parameters of the category and assignment lists and trees: how they
parse, and the 400 a bad value answers (the filter sets in catalog/api/*_filters.py)."""

from __future__ import annotations

import pytest

from ..conftest import TENANT
from .factories import make_assignment, make_category, make_product

pytestmark = pytest.mark.django_db

CATEGORIES = f"/category/{TENANT}/categories"
TREES = f"/category/{TENANT}/category-trees"


@pytest.fixture
def forest(db):
    """tools (published) > power; garden (unpublished); p1 in tools, p2 in garden."""
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    garden = make_category(TENANT, "garden", published=False)
    make_assignment(tools, make_product(TENANT, "p1"))
    make_assignment(garden, make_product(TENANT, "p2"))
    make_assignment(power, make_product(TENANT, "p3"))
    return tools


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(entry["id"] for entry in response.json())


def _error(response) -> tuple[str, list[str]]:
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == 400
    return body["message"], body["details"]


@pytest.mark.parametrize("value", ["true", "TRUE", "1", " true "])
def test_show_unpublished_true_in_any_spelling_shows_them(forest, manager, value):
    assert _ids(manager.get(f"{CATEGORIES}?showUnpublished={value}")) == [
        "garden",
        "power",
        "tools",
    ]


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_show_unpublished_false_or_empty_hides_them(forest, manager, value):
    assert _ids(manager.get(f"{CATEGORIES}?showUnpublished={value}")) == ["power", "tools"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("showUnpublished=yes", "showUnpublished"),
        ("showRoots=maybe", "showRoots"),
        ("showRoots=2&showUnpublished=yes", "showRoots"),
    ],
)
def test_a_bad_boolean_answers_the_vendors_400(forest, manager, query, name):
    message, details = _error(manager.get(f"{CATEGORIES}?{query}"))
    assert message == f"{name} must be true or false."
    assert details == [f"{name}: {message}"]


def test_the_search_reads_the_same_parameters(forest, manager):
    response = manager.post(f"{CATEGORIES}/search?showRoots=true", {"q": "published:true"})
    assert _ids(response) == ["tools"]
    message, _ = _error(manager.post(f"{CATEGORIES}/search?showRoots=x", {}))
    assert message == "showRoots must be true or false."


def test_q_paging_and_sort_still_apply_with_the_filters(forest, manager):
    response = manager.get(
        f"{CATEGORIES}?showUnpublished=true&q=published:false&pageSize=1&sort=id:desc"
    )
    assert _ids(response) == ["garden"]
    page = manager.get(f"{CATEGORIES}?showUnpublished=true&pageSize=2&pageNumber=2&sort=id:asc")
    assert _ids(page) == ["tools"]


@pytest.mark.parametrize(
    ("depth", "status"), [("1", 200), ("0", 400), ("x", 400), ("", 400), ("-1", 400)]
)
def test_depth_is_a_whole_number_of_at_least_one(forest, manager, depth, status):
    response = manager.get(f"{CATEGORIES}/tools/subcategories?depth={depth}")
    assert response.status_code == status, response.json()
    if status == 400:
        assert _error(response)[0] == "depth must be a whole number of at least 1."


def test_an_unknown_category_is_a_404_before_a_bad_parameter(forest, manager):
    assert manager.get(f"{CATEGORIES}/nope/subcategories?depth=x").status_code == 404
    response = manager.get(f"{CATEGORIES}/nope/assignments?withSubcategories=x")
    assert response.status_code == 404


def test_category_ids_are_comma_separated_and_at_most_200(forest, manager):
    response = manager.get(f"{TREES}?categoryIds=tools,garden&showUnpublished=true")
    assert sorted(tree["id"] for tree in response.json()) == ["garden", "tools"]
    assert manager.get(f"{TREES}?categoryIds=").json()[0]["id"] == "tools"  # empty: all
    message, _ = _error(manager.get(f"{TREES}?categoryIds=" + ",".join(["a"] * 201)))
    assert message == "At most 200 categoryIds."
    _, details = _error(manager.get(f"{TREES}?categoryIds=tools,,garden"))
    assert details[0].startswith("categoryIds: ")
    message, _ = _error(manager.get(f"{TREES}/tools?showUnpublished=nah"))
    assert message == "showUnpublished must be true or false."


def _assigned(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(entry["ref"]["id"] for entry in response.json())


def test_assignment_booleans_and_product_ids(forest, manager):
    url = f"{CATEGORIES}/tools/assignments"
    assert _assigned(manager.get(url)) == ["p1"]
    assert _assigned(manager.get(f"{url}?withSubcategories=TRUE")) == ["p1", "p3"]
    assert _assigned(manager.get(f"{url}?withSubcategories=1&ref.id=p3")) == ["p3"]
    assert _assigned(manager.get(f"{url}?withSubcategories=1&ref.id=p1&ref.id=p3")) == [
        "p1",
        "p3",
    ]
    assert _assigned(manager.get(f"{url}?withSubcategories=1&ref.id=p1,p3")) == ["p1", "p3"]
    _, details = _error(manager.get(f"{url}?ref.id=a%20b"))
    assert details[0].startswith("ref.id: ")
    for name in ("withSubcategories", "showUnpublished", "hideUnpublishedProducts"):
        assert _error(manager.get(f"{url}?{name}=y"))[0] == f"{name} must be true or false."


@pytest.mark.parametrize("raw", ["", ",", " , "])
def test_segments_ids_names_at_least_one_segment(forest, manager, raw):
    message, details = _error(manager.get(f"{CATEGORIES}/tools/assignments?segmentsIds={raw}"))
    assert message == "segmentsIds names 1 to 200 segments."
    assert details == [f"{'segmentsIds'}: {message}"]
    assert details == [f"segmentsIds: {message}"]


def test_segments_ids_are_a_comma_separated_list(forest, manager):
    url = f"{CATEGORIES}/tools/assignments?segmentsIds="
    assert _assigned(manager.get(f"{url}gold,silver")) == []  # no segment holds tools
    assert _error(manager.get(url + ",".join(["s"] * 201)))[0].startswith("segmentsIds names")
    assert _error(manager.get(f"{url}a,b%23c"))[1][0].startswith("segmentsIds: ")


def test_product_categories_parameters(forest, manager):
    url = f"/category/{TENANT}/assignments/references/p2"
    assert _ids(manager.get(url)) == []
    assert _ids(manager.get(f"{url}?showUnpublished=true")) == ["garden"]
    answer = manager.get(f"/category/{TENANT}/assignments/references/p3?expandSupercategoriesIds=1")
    assert answer.json()[0]["supercategoriesIds"] == ["tools"]
    assert _error(manager.get(f"{url}?expandSupercategoriesIds=x"))[0] == (
        "expandSupercategoriesIds must be true or false."
    )
