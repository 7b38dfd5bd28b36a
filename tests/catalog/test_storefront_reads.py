"""Catalog reads as a storefront makes them: published products and categories are open to
every valid token of the tenant, unpublished ones only to the read-unpublished and manage
scopes; for every other token they do not exist (404 like a missing id, absent from lists)."""

from __future__ import annotations

import pytest
import yaml

from segments_project.tenancy import scopes

from ..conftest import TENANT, Caller
from ..segments.factories import make_customer
from .factories import make_assignment, make_category, make_product

pytestmark = pytest.mark.django_db

PRODUCTS = f"/product/{TENANT}/products"
CATEGORIES = f"/category/{TENANT}/categories"
TREES = f"/category/{TENANT}/category-trees"


@pytest.fixture
def catalog(db) -> None:
    """Products shown (published) and draft (not); tools > drills, both published;
    garden (unpublished) > hoses (published, hidden under it); both products in drills
    and in hoses."""
    shown = make_product(TENANT, "shown", code="S")
    draft = make_product(TENANT, "draft", code="D", published=False)
    tools = make_category(TENANT, "tools")
    drills = make_category(TENANT, "drills", parent=tools)
    garden = make_category(TENANT, "garden", published=False, position=1)
    hoses = make_category(TENANT, "hoses", parent=garden)
    for category in (drills, hoses):
        make_assignment(category, shown)
        make_assignment(category, draft)


@pytest.fixture
def customer(issue_token) -> Caller:
    """A storefront's token for one logged-in customer: only the customer scopes."""
    make_customer(TENANT, "c1")
    granted = scopes.CUSTOMER_SCOPES | {scopes.CUSTOMER_TOKEN_ISSUE}
    return Caller(issue_token(granted=granted, customer_id="c1"))


@pytest.fixture
def unpublished_reader(issue_token) -> Caller:
    granted = frozenset({scopes.PRODUCT_READ_UNPUBLISHED, scopes.CATEGORY_READ_UNPUBLISHED})
    return Caller(issue_token(granted=granted))


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(document["id"] for document in response.json())


def _tree_ids(nodes: list[dict]) -> list[str]:
    return sorted(
        [node["id"] for node in nodes]
        + [child for node in nodes for child in _tree_ids(node["subcategories"])]
    )


def test_a_customer_token_reads_published_products(catalog, customer):
    detail = customer.get(f"{PRODUCTS}/shown")

    assert detail.status_code == 200
    assert detail.json()["code"] == "S"
    assert _ids(customer.get(PRODUCTS)) == ["shown"]
    assert _ids(customer.post(f"{PRODUCTS}/search", {"q": "code:(S,D)"})) == ["shown"]


def test_an_unpublished_product_answers_as_a_missing_one(catalog, customer):
    hidden = customer.get(f"{PRODUCTS}/draft")
    missing = customer.get(f"{PRODUCTS}/nothing")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["message"] == missing.json()["message"].replace("nothing", "draft")
    assert set(hidden.json()) == set(missing.json())


def test_a_customer_token_reads_published_categories_and_trees(catalog, customer):
    assert customer.get(f"{CATEGORIES}/drills").status_code == 200
    assert _ids(customer.get(CATEGORIES)) == ["drills", "tools"]
    assert _ids(customer.post(f"{CATEGORIES}/search", {"q": "published:true"})) == [
        "drills",
        "tools",
    ]
    assert _tree_ids(customer.get(TREES).json()) == ["drills", "tools"]
    assert customer.get(f"{TREES}/tools").json()["subcategories"][0]["id"] == "drills"
    assert _ids(customer.get(f"{CATEGORIES}/tools/subcategories")) == ["drills"]
    assert _ids(customer.get(f"{CATEGORIES}/drills/parents")) == ["tools"]
    assert customer.get(f"{CATEGORIES}/categoryTree").json()["id"] == "tools"


@pytest.mark.parametrize(
    "path",
    [
        f"{CATEGORIES}/garden",
        f"{CATEGORIES}/hoses",  # published, but under an unpublished category
        f"{CATEGORIES}/garden/subcategories",
        f"{CATEGORIES}/hoses/parents",
        f"{CATEGORIES}/hoses/assignments",
        f"{TREES}/garden",
        f"{TREES}/hoses",
    ],
)
def test_unpublished_categories_answer_as_missing_ones(catalog, customer, path):
    response = customer.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_unpublished_data_is_absent_from_every_list(catalog, customer):
    everything = customer.get(CATEGORIES).json() + customer.get(TREES).json()
    assignments = customer.get(f"{CATEGORIES}/drills/assignments").json()

    assert "garden" not in str(everything) and "hoses" not in str(everything)
    assert [a["ref"]["id"] for a in assignments] == ["shown"]
    assert _ids(customer.get(f"/category/{TENANT}/assignments/references/shown")) == ["drills"]
    assert customer.get(f"/category/{TENANT}/assignments/references/draft").json() == []
    assert (
        customer.post(f"{TREES}/search", {"categoryIds": ["hoses", "tools"]}).json()[0]["id"]
        == "tools"
    )
    assert len(customer.post(f"{TREES}/search", {"categoryIds": ["hoses"]}).json()) == 0


def test_asking_for_unpublished_categories_without_the_scope_is_a_403(catalog, customer):
    for response in (
        customer.get(f"{CATEGORIES}?showUnpublished=true"),
        customer.get(f"{TREES}?showUnpublished=true"),
        customer.post(f"{TREES}/search?showUnpublished=true", {"categoryIds": ["tools"]}),
        customer.get(f"{CATEGORIES}/drills/assignments?showUnpublished=true"),
    ):
        assert response.status_code == 403
        assert "category.category_read_unpublished" in response.json()["message"]


def test_the_unpublished_scopes_see_everything(catalog, unpublished_reader):
    reader = unpublished_reader

    assert reader.get(f"{PRODUCTS}/draft").status_code == 200
    assert _ids(reader.get(PRODUCTS)) == ["draft", "shown"]
    assert _ids(reader.post(f"{PRODUCTS}/search", {})) == ["draft", "shown"]
    assert reader.get(f"{CATEGORIES}/garden").json()["published"] is False
    assert reader.get(f"{CATEGORIES}/hoses").status_code == 200
    assert _ids(reader.get(f"{CATEGORIES}?showUnpublished=true")) == [
        "drills",
        "garden",
        "hoses",
        "tools",
    ]
    assert _tree_ids(reader.get(f"{TREES}?showUnpublished=true").json()) == [
        "drills",
        "garden",
        "hoses",
        "tools",
    ]
    assignments = reader.get(f"{CATEGORIES}/hoses/assignments?showUnpublished=true").json()
    assert sorted(a["ref"]["id"] for a in assignments) == ["draft", "shown"]


def test_a_manager_sees_unpublished_products_without_asking(catalog, manager):
    assert manager.get(f"{PRODUCTS}/draft").status_code == 200
    assert _ids(manager.get(PRODUCTS)) == ["draft", "shown"]


def test_a_token_of_another_tenant_reads_nothing(catalog, outsider):
    assert outsider.get(f"{PRODUCTS}/shown").status_code == 403
    assert outsider.post(f"{PRODUCTS}/search", {}).status_code == 403
    assert outsider.get(f"{CATEGORIES}/categoryTree").status_code == 403


def test_the_schema_asks_for_a_token_but_no_scope_on_open_reads(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    paths = document["paths"]

    product_get = paths["/product/{tenant}/products/{product_id}"]["get"]
    product_put = paths["/product/{tenant}/products/{product_id}"]["put"]
    assert product_get["security"] == [{"OAuth2": []}, {"AnonymousToken": []}]
    assert "No particular scope is needed" in product_get["description"]
    assert product_put["security"] == [{"OAuth2": [scopes.PRODUCT_MANAGE]}]
    assert scopes.ANY_TENANT_TOKEN not in response.content.decode()


def test_hiding_unpublished_categories_costs_no_query_per_row(
    catalog, customer, django_assert_num_queries
):
    garden = make_category(TENANT, "more-garden", published=False)
    for index in range(30):
        make_category(TENANT, f"shown-{index}")
        make_category(TENANT, f"hidden-{index}", parent=garden)

    # the token, the page (the unpublished categories' ids are a subquery of it)
    with django_assert_num_queries(2):
        response = customer.get(f"{CATEGORIES}?pageSize=100")

    assert len(response.json()) == 32
