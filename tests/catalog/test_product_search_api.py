"""POST /product/{tenant}/products/search: `q` in the body; paging, sort and `fields` as
query parameters; the same documents and visibility as GET /products."""

from __future__ import annotations

import pytest

from ..conftest import TENANT
from .factories import make_product

pytestmark = pytest.mark.django_db

PRODUCTS = f"/product/{TENANT}/products"
SEARCH = f"{PRODUCTS}/search"


@pytest.fixture
def shelf(db) -> None:
    for index in range(1, 6):
        make_product(TENANT, f"p{index}", code=f"C{index}", name=f"Chair {6 - index}")
    make_product(TENANT, "other", code="X", name="Table")


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [document["id"] for document in response.json()]


def test_search_filters_with_the_q_of_the_body(shelf, manager):
    assert sorted(_ids(manager.post(SEARCH, {"q": "code:(C1,C3,X)"}))) == ["other", "p1", "p3"]
    assert _ids(manager.post(SEARCH, {"q": "name.en:~Chair"})) == ["p1", "p2", "p3", "p4", "p5"]


def test_search_answers_what_the_list_answers(shelf, manager):
    query = "?sort=name.en:desc&pageSize=10"

    searched = manager.post(f"{SEARCH}{query}", {"q": "name.en:~Chair"})
    listed = manager.get(f"{PRODUCTS}{query}&q=name.en:~Chair")

    assert searched.json() == listed.json()


def test_search_pages_sorts_and_counts(shelf, manager):
    response = manager.post(
        f"{SEARCH}?sort=name.en:asc&pageSize=2&pageNumber=2",
        {"q": "name.en:~Chair"},
        headers={"X-Total-Count": "true"},
    )

    # Names run Chair 5 (p1) down to Chair 1 (p5): ascending by name is p5, p4, p3, p2, p1.
    assert _ids(response) == ["p3", "p2"]
    assert response["X-Total-Count"] == "5"


def test_search_projects_with_fields(shelf, manager):
    response = manager.post(f"{SEARCH}?fields=id,code", {"q": "id:p2"})

    assert response.json() == [{"id": "p2", "code": "C2"}]


def test_search_without_a_body_or_q_lists_everything(shelf, manager):
    assert len(_ids(manager.post(SEARCH))) == 6
    assert len(_ids(manager.post(SEARCH, {}))) == 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (["code:C1"], "body"),
        ({"q": 5}, "q"),
        ({"q": "nosuchfield:1"}, None),
        ({"q": "code:(unclosed"}, None),
    ],
)
def test_a_bad_search_is_a_400(shelf, manager, body, field):
    response = manager.post(SEARCH, body)

    assert response.status_code == 400
    if field is not None:
        assert response.json()["details"][0]["field"] == field


def test_search_is_not_taken_for_a_product_id(shelf, manager):
    assert manager.get(SEARCH).status_code == 405
    assert manager.get(f"{PRODUCTS}/p1").status_code == 200


def test_search_costs_a_fixed_number_of_queries(shelf, manager, django_assert_num_queries):
    for index in range(6, 40):
        make_product(TENANT, f"p{index}")

    # the token, the page
    with django_assert_num_queries(2):
        response = manager.post(SEARCH, {"q": "name.en:~Product"})

    assert len(response.json()) == 34
