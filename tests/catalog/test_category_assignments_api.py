"""Products in categories: assigning, listing with its filters, removing, and the reverse view."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from catalog.models import Category, CategoryAssignment, Product
from segments_project.checkpoints import Checkpoint
from segments_project.tenancy import scopes

from ..conftest import TENANT, Caller
from ..errors import error_details
from .factories import make_assignment, make_category, make_product

pytestmark = pytest.mark.django_db

BASE = f"/category/{TENANT}"


def _assignments(category_id: str) -> str:
    return f"{BASE}/categories/{category_id}/assignments"


def _ref(product_id: str, type: str = "PRODUCT") -> dict:
    return {"ref": {"id": product_id, "type": type}}


def _pairs(category: Category | None = None) -> set[tuple[str, str]]:
    rows = CategoryAssignment.objects.filter(tenant_id=TENANT)
    if category is not None:
        rows = rows.filter(category=category)
    return set(rows.values_list("category__public_id", "product__public_id"))


def _product_ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [entry["ref"]["id"] for entry in response.json()]


@pytest.fixture
def shelf(db):
    """A published category `c1` and three products of tenant acme."""
    return {
        "category": make_category(TENANT, "c1"),
        "products": [make_product(TENANT, product_id) for product_id in ("p1", "p2", "p3")],
    }


@pytest.fixture
def tree(db):
    """root > child > grandchild (all published), each with its own product."""
    root = make_category(TENANT, "root")
    child = make_category(TENANT, "child", parent=root)
    grandchild = make_category(TENANT, "grandchild", parent=child)
    for category in (root, child, grandchild):
        make_assignment(category, make_product(TENANT, f"in-{category.public_id}"))
    return {"root": root, "child": child, "grandchild": grandchild}


# --- POST /categories/{categoryId}/assignments -------------------------------------------------


def test_assigning_a_product_answers_201_with_the_new_assignment_id(manager, shelf):
    response = manager.post(_assignments("c1"), _ref("p1"))

    assert response.status_code == 201
    assignment = CategoryAssignment.objects.get()
    assert response.json() == {"id": assignment.public_id}
    assert str(uuid.UUID(assignment.public_id)) == assignment.public_id
    assert (assignment.category, assignment.product.public_id) == (shelf["category"], "p1")
    assert assignment.tenant_id == TENANT


@pytest.mark.parametrize("type", ["product", "Product", "PRODUCT"])
def test_the_reference_type_is_case_insensitive(manager, shelf, type):
    assert manager.post(_assignments("c1"), _ref("p1", type)).status_code == 201


def test_assigning_to_an_unknown_category_is_a_404(manager, shelf):
    response = manager.post(_assignments("nope"), _ref("p1"))

    assert response.status_code == 404
    assert response.json()["resourceId"] == "nope"
    assert not CategoryAssignment.objects.exists()


def test_assigning_an_unknown_product_is_a_400_naming_it(manager, shelf):
    response = manager.post(_assignments("c1"), _ref("ghost"))

    assert response.status_code == 400
    body = response.json()
    assert "ghost" in body["message"]
    assert body["resourceId"] == "ghost"
    assert error_details(body)[0]["field"] == "ref.id"
    assert not CategoryAssignment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_ref("p1", "CATEGORY"), "ref.type"),
        ({"ref": {"id": "p1"}}, "ref.type"),
        ({"ref": {"type": "PRODUCT"}}, "ref.id"),
        ({"ref": {"id": "", "type": "PRODUCT"}}, "ref.id"),
        ({"ref": {"id": 12, "type": "PRODUCT"}}, "ref.id"),
        ({"ref": {"id": "has space", "type": "PRODUCT"}}, "ref.id"),
        ({"ref": "p1"}, "ref"),
        ({}, "ref"),
        (["p1"], "body"),
    ],
)
def test_a_malformed_reference_is_a_400_naming_the_field(manager, shelf, body, field):
    response = manager.post(_assignments("c1"), body)

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert error_details(response.json())[0]["field"] == field
    assert not CategoryAssignment.objects.exists()


def test_assigning_a_product_twice_is_a_409(manager, shelf):
    first = manager.post(_assignments("c1"), _ref("p1"))

    response = manager.post(_assignments("c1"), _ref("p1"))

    assert response.status_code == 409
    assert "p1" in response.json()["message"]
    assert list(CategoryAssignment.objects.values_list("public_id", flat=True)) == [
        first.json()["id"]
    ]


def test_a_product_can_be_in_many_categories(manager, shelf):
    make_category(TENANT, "c2")

    assert manager.post(_assignments("c1"), _ref("p1")).status_code == 201
    assert manager.post(_assignments("c2"), _ref("p1")).status_code == 201
    assert _pairs() == {("c1", "p1"), ("c2", "p1")}


# --- POST /categories/{categoryId}/assignments/bulk --------------------------------------------


def test_bulk_assignment_reports_each_element_in_order_and_applies_the_valid_ones(manager, shelf):
    existing = make_assignment(shelf["category"], shelf["products"][1])

    response = manager.post(
        f"{_assignments('c1')}/bulk",
        [
            _ref("p1"),
            _ref("ghost"),
            _ref("p2"),
            _ref("p3", "CATEGORY"),
            _ref("p1"),
            _ref("p3", "product"),
            42,
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["index"] for entry in entries] == list(range(7))
    assert [entry["code"] for entry in entries] == [201, 400, 409, 400, 409, 201, 400]
    assert [entry.get("productId") for entry in entries] == [
        "p1",
        "ghost",
        "p2",
        None,
        "p1",
        "p3",
        None,
    ]
    assert entries[0]["status"] == "Created"
    assert entries[2]["assignmentId"] == existing.public_id
    assert "ghost" in entries[1]["message"]
    assert "ref.type" in entries[3]["message"]
    assert entries[4]["assignmentId"] == entries[0]["assignmentId"]
    assert "message" not in entries[0]
    created = dict(
        CategoryAssignment.objects.values_list("product__public_id", "public_id").filter(
            category=shelf["category"]
        )
    )
    assert created == {
        "p1": entries[0]["assignmentId"],
        "p2": existing.public_id,
        "p3": entries[5]["assignmentId"],
    }


def test_bulk_assignment_to_an_unknown_category_is_a_404(manager, shelf):
    response = manager.post(f"{_assignments('nope')}/bulk", [_ref("p1")])

    assert response.status_code == 404
    assert not CategoryAssignment.objects.exists()


@pytest.mark.parametrize(
    ("method", "suffix"), [("post", "bulk"), ("put", "references/bulk")], ids=["post", "put"]
)
def test_more_than_200_elements_are_a_400_and_nothing_is_applied(manager, shelf, method, suffix):
    response = getattr(manager, method)(
        f"{_assignments('c1')}/{suffix}", [_ref("p1") for _ in range(201)]
    )

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert not CategoryAssignment.objects.exists()


@pytest.mark.parametrize(
    ("method", "suffix"), [("post", "bulk"), ("put", "references/bulk")], ids=["post", "put"]
)
def test_exactly_200_elements_are_accepted_with_a_constant_number_of_queries(
    manager, shelf, method, suffix, django_assert_max_num_queries
):
    now = timezone.now()
    Product.objects.bulk_create(
        Product(tenant_id=TENANT, public_id=f"b{i}", created_at=now, modified_at=now)
        for i in range(200)
    )

    # token, savepoint and release, category, products, existing assignments, the insert
    # (SQLite splits it in two: at most 999 parameters per statement), the segments holding
    # the products (their storefront answers go stale), check of the insert
    with django_assert_max_num_queries(10):
        response = getattr(manager, method)(
            f"{_assignments('c1')}/{suffix}", [_ref(f"b{i}") for i in range(200)]
        )

    assert response.status_code == 207
    assert {entry["code"] for entry in response.json()} == {201}
    assert CategoryAssignment.objects.count() == 200


@pytest.mark.parametrize("body", [_ref("p1"), "p1"])
def test_a_bulk_body_that_is_not_an_array_is_a_400(manager, shelf, body):
    assert manager.post(f"{_assignments('c1')}/bulk", body).status_code == 400
    assert not CategoryAssignment.objects.exists()


# --- PUT /categories/{categoryId}/assignments/references/... -----------------------------------


def test_bulk_upsert_creates_new_assignments_and_keeps_existing_ones(manager, shelf):
    existing = make_assignment(shelf["category"], shelf["products"][0])

    response = manager.put(
        f"{_assignments('c1')}/references/bulk",
        [
            {"ref": {"id": "p1"}},
            {"ref": {"id": "p2"}},
            {"ref": {"id": "ghost"}},
            {"ref": {"id": "p2", "type": "product"}},
            {"ref": {}},
            {"ref": {"id": "p3", "type": "CATEGORY"}},
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["code"] for entry in entries] == [204, 201, 400, 204, 400, 400]
    assert entries[0]["status"] == "No Content"
    assert entries[0]["assignmentId"] == existing.public_id
    assert entries[3]["assignmentId"] == entries[1]["assignmentId"]
    assert "ghost" in entries[2]["message"]
    assert _pairs() == {("c1", "p1"), ("c1", "p2")}
    assert CategoryAssignment.objects.get(public_id=existing.public_id).product.public_id == "p1"


def test_bulk_upsert_into_an_unknown_category_is_a_404(manager, shelf):
    assert manager.put(f"{_assignments('nope')}/references/bulk", []).status_code == 404


def test_upserting_one_reference_creates_then_answers_204(manager, shelf):
    path = f"{_assignments('c1')}/references/p1"

    created = manager.put(path)
    again = manager.put(path)

    assert created.status_code == 201
    assert created.json() == {"id": CategoryAssignment.objects.get().public_id}
    assert again.status_code == 204
    assert CategoryAssignment.objects.count() == 1


def test_upserting_an_unknown_product_or_into_an_unknown_category_fails(manager, shelf):
    unknown_product = manager.put(f"{_assignments('c1')}/references/ghost")
    unknown_category = manager.put(f"{_assignments('nope')}/references/p1")

    assert unknown_product.status_code == 400
    assert "ghost" in unknown_product.json()["message"]
    assert unknown_category.status_code == 404
    assert not CategoryAssignment.objects.exists()


# --- GET /categories/{categoryId}/assignments ----------------------------------------------------


def test_list_answers_the_assignments_with_the_product_names(manager, shelf):
    product = shelf["products"][0]
    product.name = {"en": "Bread", "de": "Brot"}
    product.save()
    assignment = make_assignment(shelf["category"], product)

    response = manager.get(_assignments("c1"))

    assert response.status_code == 200
    entry = response.json()[0]
    assert {key: entry[key] for key in ("id", "categoryId", "ref")} == {
        "id": assignment.public_id,
        "categoryId": "c1",
        "ref": {"id": "p1", "type": "PRODUCT", "localizedName": {"en": "Bread", "de": "Brot"}},
    }
    assert entry["metadata"]["createdAt"].endswith("Z")
    assert set(entry["metadata"]) == {"createdAt", "modifiedAt"}


@pytest.mark.parametrize(
    ("header", "expected"), [("de", {"de": "Brot"}), ("fr, en;q=0.5", {"en": "Bread"}), ("*", None)]
)
def test_list_localizes_the_product_names(manager, shelf, header, expected):
    product = shelf["products"][0]
    product.name = {"en": "Bread", "de": "Brot"}
    product.save()
    make_assignment(shelf["category"], product)

    response = manager.get(_assignments("c1"), headers={"Accept-Language": header})

    assert response.json()[0]["ref"]["localizedName"] == (expected or product.name)


def test_list_of_an_unknown_category_is_a_404(manager, shelf):
    assert manager.get(_assignments("nope")).status_code == 404


def test_list_of_a_category_without_products_is_empty(manager, shelf):
    assert _product_ids(manager.get(_assignments("c1"))) == []


@pytest.mark.parametrize(
    ("category", "with_subcategories", "expected"),
    [
        ("root", False, ["in-root"]),
        ("root", True, ["in-root", "in-child", "in-grandchild"]),
        ("child", True, ["in-child", "in-grandchild"]),
        ("grandchild", True, ["in-grandchild"]),
        ("child", False, ["in-child"]),
    ],
)
def test_with_subcategories_adds_the_assignments_of_every_descendant(
    manager, tree, category, with_subcategories, expected
):
    flag = "true" if with_subcategories else "false"

    response = manager.get(f"{_assignments(category)}?withSubcategories={flag}")

    assert _product_ids(response) == expected
    if with_subcategories and category == "root":
        assert [entry["categoryId"] for entry in response.json()] == [
            "root",
            "child",
            "grandchild",
        ]


def test_with_subcategories_ignores_a_sibling_whose_id_shares_a_prefix(manager, tree):
    # Paths are /<pk>/; a sibling such as /1/ vs /12/ must not count as a descendant.
    for index in range(12):
        make_category(TENANT, f"filler{index}")
    sibling = make_category(TENANT, "sibling")
    make_assignment(sibling, make_product(TENANT, "in-sibling"))

    response = manager.get(f"{_assignments('root')}?withSubcategories=true")

    assert "in-sibling" not in _product_ids(response)


def test_unpublished_categories_and_their_descendants_are_hidden_unless_asked_for(manager, tree):
    Category.objects.filter(pk=tree["child"].pk).update(published=False)

    hidden = manager.get(f"{_assignments('root')}?withSubcategories=true")
    shown = manager.get(f"{_assignments('root')}?withSubcategories=true&showUnpublished=true")
    under_unpublished = manager.get(_assignments("grandchild"))
    under_unpublished_shown = manager.get(f"{_assignments('grandchild')}?showUnpublished=true")
    unpublished_itself = manager.get(_assignments("child"))

    assert _product_ids(hidden) == ["in-root"]
    assert _product_ids(shown) == ["in-root", "in-child", "in-grandchild"]
    assert _product_ids(under_unpublished) == []
    assert _product_ids(under_unpublished_shown) == ["in-grandchild"]
    assert _product_ids(unpublished_itself) == []


def test_an_unpublished_root_hides_its_whole_tree(manager, tree):
    Category.objects.filter(pk=tree["root"].pk).update(published=False)

    response = manager.get(f"{_assignments('child')}?withSubcategories=true")

    assert _product_ids(response) == []


def test_unpublished_categories_of_another_branch_hide_nothing_here(manager, tree):
    make_category(TENANT, "hidden", published=False)

    response = manager.get(f"{_assignments('root')}?withSubcategories=true")

    assert len(_product_ids(response)) == 3


def test_hide_unpublished_products(manager, shelf):
    for product in shelf["products"]:
        make_assignment(shelf["category"], product)
    Product.objects.filter(public_id="p2").update(published=False)

    default = manager.get(_assignments("c1"))
    hidden = manager.get(f"{_assignments('c1')}?hideUnpublishedProducts=true")

    assert _product_ids(default) == ["p1", "p2", "p3"]
    assert _product_ids(hidden) == ["p1", "p3"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ref.id=p2", ["p2"]),
        ("ref.id=p1,p3", ["p1", "p3"]),
        ("ref.id=p1&ref.id=p3", ["p1", "p3"]),
        ("ref.id=ghost", []),
        ("ref.id=", ["p1", "p2", "p3"]),
    ],
)
def test_ref_id_filters_by_product(manager, shelf, query, expected):
    for product in shelf["products"]:
        make_assignment(shelf["category"], product)

    assert _product_ids(manager.get(f"{_assignments('c1')}?{query}")) == expected


def test_paging_and_total_count(manager, shelf):
    for index in range(5):
        make_assignment(shelf["category"], make_product(TENANT, f"x{index}"))

    response = manager.get(
        f"{_assignments('c1')}?pageSize=2&pageNumber=2", headers={"X-Total-Count": "true"}
    )
    last = manager.get(f"{_assignments('c1')}?pageSize=2&pageNumber=3")
    beyond = manager.get(f"{_assignments('c1')}?pageSize=2&pageNumber=4")

    assert _product_ids(response) == ["x2", "x3"]
    assert response["X-Total-Count"] == "5"
    assert _product_ids(last) == ["x4"]
    assert "X-Total-Count" not in last
    assert _product_ids(beyond) == []


def test_sort_by_product_id(manager, shelf):
    for product in shelf["products"]:
        make_assignment(shelf["category"], product)

    assert _product_ids(manager.get(f"{_assignments('c1')}?sort=ref.id:desc")) == [
        "p3",
        "p2",
        "p1",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "withSubcategories=maybe",
        "showUnpublished=yes",
        "hideUnpublishedProducts=2",
        "assignmentType=CATEGORY",
        "pageSize=0",
        "sort=nope:asc",
        "ref.id=a%20b",
    ],
)
def test_bad_list_parameters_are_a_400(manager, shelf, query):
    response = manager.get(f"{_assignments('c1')}?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_assignment_type_product_is_accepted(manager, shelf):
    make_assignment(shelf["category"], shelf["products"][0])

    assert _product_ids(manager.get(f"{_assignments('c1')}?assignmentType=product")) == ["p1"]


def test_list_takes_a_constant_number_of_queries(manager, tree, django_assert_max_num_queries):
    for index in range(40):
        category = (tree["root"], tree["child"], tree["grandchild"])[index % 3]
        make_assignment(category, make_product(TENANT, f"bulk{index}"))

    # token lookup + category + page + count
    with django_assert_max_num_queries(4):
        response = manager.get(
            f"{_assignments('root')}?withSubcategories=true&pageSize=100",
            headers={"X-Total-Count": "true", "Accept-Language": "en"},
        )

    assert len(response.json()) == 43
    assert response["X-Total-Count"] == "43"


def test_a_category_reader_may_list_but_not_assign(issue_token, shelf):
    reader = Caller(issue_token(granted=frozenset({scopes.CATEGORY_READ})))
    make_assignment(shelf["category"], shelf["products"][0])

    assert _product_ids(reader.get(_assignments("c1"))) == ["p1"]
    assert reader.post(_assignments("c1"), _ref("p2")).status_code == 403
    assert reader.delete(_assignments("c1")).status_code == 403
    assert reader.get(f"{BASE}/assignments/references/p1").status_code == 200
    assert _pairs() == {("c1", "p1")}


def test_any_token_of_the_tenant_may_list_but_not_assign(reader, shelf):
    make_assignment(shelf["category"], shelf["products"][0])

    assert _product_ids(reader.get(_assignments("c1"))) == ["p1"]
    assert reader.post(_assignments("c1"), _ref("p2")).status_code == 403


# --- cascades ------------------------------------------------------------------------------------


def test_deleting_a_product_removes_it_from_every_category(manager, tree):
    make_assignment(tree["root"], Product.objects.get(public_id="in-child"))

    Product.objects.filter(public_id="in-child").delete()

    assert _product_ids(manager.get(f"{_assignments('root')}?withSubcategories=true")) == [
        "in-root",
        "in-grandchild",
    ]
    assert not CategoryAssignment.objects.filter(product__public_id="in-child").exists()


def test_deleting_a_category_removes_its_assignments(manager, tree):
    Category.objects.filter(pk=tree["grandchild"].pk).delete()

    assert _product_ids(manager.get(f"{_assignments('root')}?withSubcategories=true")) == [
        "in-root",
        "in-child",
    ]
    assert manager.get(_assignments("grandchild")).status_code == 404
    assert CategoryAssignment.objects.count() == 2


# --- DELETE --------------------------------------------------------------------------------------


def test_deleting_all_assignments_of_a_category_leaves_other_categories_alone(manager, tree):
    make_assignment(tree["root"], make_product(TENANT, "extra"))

    response = manager.delete(_assignments("root"))

    assert response.status_code == 204
    assert _pairs() == {("child", "in-child"), ("grandchild", "in-grandchild")}
    assert manager.delete(_assignments("root")).status_code == 204
    assert Product.objects.filter(public_id="extra").exists()


def test_deleting_all_assignments_of_an_unknown_category_is_a_404(manager, tree):
    assert manager.delete(_assignments("nope")).status_code == 404
    assert CategoryAssignment.objects.count() == 3


def test_deleting_one_assignment_by_id_is_idempotent(manager, tree):
    assignment = CategoryAssignment.objects.get(category=tree["child"])

    first = manager.delete(f"{_assignments('child')}/{assignment.public_id}")
    again = manager.delete(f"{_assignments('child')}/{assignment.public_id}")

    assert (first.status_code, again.status_code) == (204, 204)
    assert _pairs() == {("root", "in-root"), ("grandchild", "in-grandchild")}


def test_an_assignment_is_deleted_only_through_its_own_category(manager, tree):
    assignment = CategoryAssignment.objects.get(category=tree["child"])

    response = manager.delete(f"{_assignments('root')}/{assignment.public_id}")

    assert response.status_code == 204
    assert CategoryAssignment.objects.filter(pk=assignment.pk).exists()


def test_deleting_one_assignment_of_an_unknown_category_is_a_404(manager, tree):
    assignment = CategoryAssignment.objects.get(category=tree["child"])

    assert manager.delete(f"{_assignments('nope')}/{assignment.public_id}").status_code == 404
    assert CategoryAssignment.objects.count() == 3


def test_deleting_by_reference_takes_the_product_out_of_that_category_only(manager, tree):
    product = Product.objects.get(public_id="in-child")
    make_assignment(tree["root"], product)

    first = manager.delete(f"{_assignments('child')}/references/in-child")
    again = manager.delete(f"{_assignments('child')}/references/in-child")
    unknown = manager.delete(f"{_assignments('nope')}/references/in-child")

    assert (first.status_code, again.status_code, unknown.status_code) == (204, 204, 404)
    assert _pairs() == {
        ("root", "in-root"),
        ("root", "in-child"),
        ("grandchild", "in-grandchild"),
    }


# --- /assignments/references/{productId} --------------------------------------------------------


@pytest.fixture
def placed(tree):
    """Product `shared` in the grandchild (3 levels deep) and in a root category `other`."""
    other = make_category(TENANT, "other", position=3)
    shared = make_product(TENANT, "shared")
    make_assignment(tree["grandchild"], shared)
    make_assignment(other, shared)
    Category.objects.filter(pk=other.pk).update(code="OTHER")
    return {**tree, "other": other, "shared": shared}


def _references(product_id: str, query: str = "") -> str:
    return f"{BASE}/assignments/references/{product_id}{'?' + query if query else ''}"


def test_the_categories_of_a_product(manager, placed):
    response = manager.get(_references("shared"))

    assert response.status_code == 200
    by_id = {category["id"]: category for category in response.json()}
    assert set(by_id) == {"grandchild", "other"}
    grandchild, other = by_id["grandchild"], by_id["other"]
    assert grandchild["parentId"] == "child"
    assert grandchild["localizedName"] == {"en": "Category grandchild"}
    assert grandchild["published"] is True
    assert "parentId" not in other
    assert other["code"] == "OTHER"
    assert other["position"] == 3
    assert "supercategoriesIds" not in grandchild
    assert grandchild["metadata"]["version"] == 1


def test_expand_supercategories_ids_lists_every_ancestor_root_first(manager, placed):
    response = manager.get(_references("shared", "expandSupercategoriesIds=true"))

    by_id = {category["id"]: category for category in response.json()}
    assert by_id["grandchild"]["supercategoriesIds"] == ["root", "child"]
    assert by_id["other"]["supercategoriesIds"] == []


def test_the_categories_of_a_product_are_localized(manager, placed):
    Category.objects.filter(pk=placed["other"].pk).update(name={"en": "Other", "de": "Andere"})

    response = manager.get(_references("shared"), headers={"Accept-Language": "de"})

    by_id = {category["id"]: category for category in response.json()}
    assert by_id["other"]["localizedName"] == {"de": "Andere"}
    assert by_id["grandchild"]["localizedName"] == {}


def test_the_categories_of_an_unknown_or_unassigned_product_are_none(manager, placed):
    make_product(TENANT, "lonely")

    assert manager.get(_references("ghost")).json() == []
    assert manager.get(_references("lonely")).json() == []


def test_unpublished_categories_of_a_product_are_shown_only_when_asked_for(manager, placed):
    Category.objects.filter(pk=placed["child"].pk).update(published=False)

    default = manager.get(_references("shared"))
    shown = manager.get(_references("shared", "showUnpublished=true"))

    assert [category["id"] for category in default.json()] == ["other"]
    assert {category["id"] for category in shown.json()} == {"grandchild", "other"}


def test_the_categories_of_a_product_are_paged_and_counted(manager, placed):
    response = manager.get(
        _references("shared", "pageSize=1&pageNumber=2"), headers={"X-Total-Count": "true"}
    )

    assert len(response.json()) == 1
    assert response["X-Total-Count"] == "2"


def test_the_categories_of_a_product_take_a_constant_number_of_queries(
    manager, tree, django_assert_max_num_queries
):
    product = make_product(TENANT, "everywhere")
    parent = tree["grandchild"]
    for index in range(30):
        parent = make_category(TENANT, f"deep{index}", parent=parent)
        make_assignment(parent, product)
        make_assignment(make_category(TENANT, f"flat{index}"), product)

    # token lookup + page + ancestors + count
    with django_assert_max_num_queries(4):
        response = manager.get(
            _references("everywhere", "expandSupercategoriesIds=true&pageSize=100"),
            headers={"X-Total-Count": "true"},
        )

    assert len(response.json()) == 60
    deepest = next(category for category in response.json() if category["id"] == "deep29")
    assert deepest["supercategoriesIds"] == [
        "root",
        "child",
        "grandchild",
        *(f"deep{index}" for index in range(29)),
    ]


def test_deleting_a_product_from_every_category(manager, placed):
    first = manager.delete(_references("shared"))
    again = manager.delete(_references("shared"))

    assert (first.status_code, again.status_code) == (204, 204)
    assert not CategoryAssignment.objects.filter(product=placed["shared"]).exists()
    assert CategoryAssignment.objects.count() == 3
    assert Product.objects.filter(public_id="shared").exists()


# --- races ---------------------------------------------------------------------------------------


@pytest.fixture
def competitor(on_checkpoint, shelf):
    """Makes another writer put p1 in c1 just before the request inserts its rows."""
    winner = {}

    def assign_first(**_):
        winner["assignment"] = make_assignment(shelf["category"], shelf["products"][0])

    on_checkpoint(Checkpoint.CATEGORY_ASSIGNMENTS_INSERTING, assign_first)
    return winner


def test_a_concurrent_writer_that_assigns_first_makes_the_create_a_409(manager, competitor):
    response = manager.post(f"{_assignments('c1')}/bulk", [_ref("p1"), _ref("p2"), _ref("p1")])

    entries = response.json()
    assert [entry["code"] for entry in entries] == [409, 201, 409]
    winner_id = competitor["assignment"].public_id
    assert entries[0]["assignmentId"] == entries[2]["assignmentId"] == winner_id
    assert _pairs() == {("c1", "p1"), ("c1", "p2")}


def test_a_concurrent_writer_that_assigns_first_makes_the_upsert_a_204(manager, competitor):
    bulk = manager.put(f"{_assignments('c1')}/references/bulk", [{"ref": {"id": "p1"}}])

    assert bulk.json()[0]["code"] == 204
    assert bulk.json()[0]["assignmentId"] == competitor["assignment"].public_id
    assert CategoryAssignment.objects.count() == 1
