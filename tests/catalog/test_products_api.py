"""The Products resource: create, read, list, upsert (with row locks), patch, delete, bulk."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection

from catalog.models import Category, CategoryAssignment, Product
from catalog.services import products as product_services
from segments_project.checkpoints import Checkpoint
from segments_project.errors import VersionConflict
from segments_project.tenancy import scopes
from segments_project.tenancy.services import tenant_get_or_create

from ..concurrency import run_concurrently
from ..conftest import TENANT, Caller
from .factories import make_assignment, make_category

pytestmark = pytest.mark.django_db

PRODUCTS = f"/product/{TENANT}/products"
BULK = f"{PRODUCTS}/bulk"

CHAIR = {
    "id": "chair-1",
    "code": "CH-001",
    "name": {"en": "Chair", "de": "Stuhl"},
    "published": True,
    "mixins": {"dimensions": {"height": 90}},
    "metadata": {"mixins": {"dimensions": "https://example.com/schemas/dimensions.json"}},
}


def _create(caller, **overrides):
    body = {**CHAIR, **overrides}
    response = caller.post(PRODUCTS, body)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _without(document, *keys):
    return {key: value for key, value in document.items() if key not in keys}


# --- create ----------------------------------------------------------------------------


def test_create_answers_201_with_the_id_and_stores_the_document(manager):
    response = manager.post(PRODUCTS, CHAIR)

    assert response.status_code == 201
    assert response.json() == {"id": "chair-1"}
    stored = manager.get(f"{PRODUCTS}/chair-1").json()
    assert stored["id"] == "chair-1"
    assert stored["code"] == "CH-001"
    assert stored["name"] == CHAIR["name"]
    assert stored["published"] is True
    assert stored["mixins"] == CHAIR["mixins"]
    assert stored["metadata"]["mixins"] == CHAIR["metadata"]["mixins"]
    assert stored["metadata"]["version"] == 1
    assert stored["metadata"]["createdAt"].endswith("Z")
    assert stored["metadata"]["modifiedAt"].endswith("Z")


def test_create_without_id_generates_one(manager):
    response = manager.post(PRODUCTS, _without(CHAIR, "id"))

    assert response.status_code == 201
    generated = response.json()["id"]
    assert len(generated) == 24
    assert Product.objects.filter(tenant_id=TENANT, public_id=generated).exists()


def test_a_minimal_product_is_published_without_code_or_mixins(manager):
    product_id = _create(manager, code=None, published=None, mixins=None, metadata=None)

    stored = manager.get(f"{PRODUCTS}/{product_id}").json()

    assert stored["published"] is True
    assert "code" not in stored
    assert "mixins" not in stored
    assert "mixins" not in stored["metadata"]


def test_an_unpublished_product_stays_unpublished(manager):
    product_id = _create(manager, published=False)

    assert manager.get(f"{PRODUCTS}/{product_id}").json()["published"] is False


def test_creating_an_existing_id_is_a_409_and_changes_nothing(manager):
    _create(manager)

    response = manager.post(PRODUCTS, {**CHAIR, "name": {"en": "Other"}})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == 409
    assert body["status"] == "Conflict"
    assert body["productId"] == "chair-1"
    assert Product.objects.get().name == CHAIR["name"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": {}}, "name"),
        ({"name": ""}, "name"),
        ({"name": {"en": "  "}}, "name"),
        ({"name": "plain string without Content-Language"}, "name"),
        ({"name": ["Chair"]}, "name"),
        ({"name": {"en": 5}}, "name.en"),
        ({"name": {"not a language": "x"}}, "name.not a language"),
        ({"code": 7}, "code"),
        ({"code": {"a": 1}}, "code"),
        ({"code": "x" * 129}, "code"),
        ({"published": "yes"}, "published"),
        ({"published": 1}, "published"),
        ({"mixins": []}, "mixins"),
        ({"mixins": "x"}, "mixins"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"mixins": {"a": 1}}}, "metadata.mixins.a"),
        ({"metadata": {"mixins": []}}, "metadata.mixins"),
        ({"id": "has space"}, "id"),
        ({"id": "a/b"}, "id"),
        ({"id": 12}, "id"),
        ({"id": "x" * 129}, "id"),
    ],
)
def test_invalid_products_are_a_400_naming_the_field_and_change_nothing(manager, change, field):
    response = manager.post(PRODUCTS, {**CHAIR, **change})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["status"] == "Bad Request"
    assert body["details"][0]["field"] == field
    assert not Product.objects.exists()


def test_a_code_of_128_characters_is_accepted(manager):
    product_id = _create(manager, code="c" * 128)

    assert manager.get(f"{PRODUCTS}/{product_id}").json()["code"] == "c" * 128


@pytest.mark.parametrize(
    "payload",
    [b'{"name": ', b"[1, 2", b'{"name": "\xff"}', b"NaN"],
    ids=["truncated", "unclosed array", "invalid utf-8", "NaN"],
)
def test_malformed_bodies_are_a_400_json_error(manager, payload):
    response = manager.post(PRODUCTS, payload)

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert not Product.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(manager):
    response = manager.post(PRODUCTS, ["not", "an", "object"])

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", PRODUCTS),
        ("put", f"{PRODUCTS}/chair-1"),
        ("patch", f"{PRODUCTS}/chair-1"),
        ("put", BULK),
    ],
)
def test_unsupported_content_types_are_a_415(manager, method, path):
    response = getattr(manager, method)(
        path, "name=Chair", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert response.json()["code"] == 415
    assert not Product.objects.exists()


def test_bodies_over_the_limit_are_a_413(manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = manager.post(PRODUCTS, {**CHAIR, "mixins": {"blob": "x" * 2000}})

    assert response.status_code == 413
    assert response.json()["code"] == 413
    assert not Product.objects.exists()


# --- localization ------------------------------------------------------------------------


def test_accept_language_picks_the_best_matching_language(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"

    def name(accept_language: str | None):
        headers = {"Accept-Language": accept_language} if accept_language else None
        return manager.get(url, headers=headers).json()["name"]

    assert name("de") == {"de": "Stuhl"}
    assert name("fr-CH, fr;q=0.9, de;q=0.8") == {"de": "Stuhl"}
    assert name("de;q=0.5, en") == {"en": "Chair"}
    assert name("fr") == {}
    assert name("*") == CHAIR["name"]
    assert name(None) == CHAIR["name"]


def test_create_with_content_language_stores_a_plain_string_under_that_language(manager):
    response = manager.post(
        PRODUCTS, {"id": "fr1", "name": "Chaise"}, headers={"Content-Language": "fr"}
    )

    assert response.status_code == 201
    assert manager.get(f"{PRODUCTS}/fr1").json()["name"] == {"fr": "Chaise"}


def test_put_with_content_language_updates_one_language_and_keeps_the_others(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"

    response = manager.put(url, {**CHAIR, "name": "Sessel"}, headers={"Content-Language": "de"})

    assert response.status_code == 204
    assert manager.get(url).json()["name"] == {"en": "Chair", "de": "Sessel"}


def test_an_invalid_content_language_is_a_400(manager):
    response = manager.post(
        PRODUCTS, {**CHAIR, "name": "Chair"}, headers={"Content-Language": "not a language"}
    )

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "Content-Language"
    assert not Product.objects.exists()


# --- get ---------------------------------------------------------------------------------


def test_get_of_an_unknown_id_is_a_404_naming_it(manager):
    response = manager.get(f"{PRODUCTS}/missing")

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 404
    assert body["status"] == "Not Found"
    assert body["productId"] == "missing"


def test_get_with_fields_projects_the_answer(manager):
    product_id = _create(manager)

    response = manager.get(f"{PRODUCTS}/{product_id}?fields=id,code,metadata.version")

    assert response.json() == {"id": product_id, "code": "CH-001", "metadata": {"version": 1}}


def test_reads_accept_the_read_scope_alone(manager, issue_token):
    _create(manager)
    product_reader = Caller(issue_token(granted=frozenset({scopes.PRODUCT_READ})))

    assert product_reader.get(f"{PRODUCTS}/chair-1").status_code == 200
    assert [product["id"] for product in product_reader.get(PRODUCTS).json()] == ["chair-1"]
    assert product_reader.post(PRODUCTS, {**CHAIR, "id": "chair-2"}).status_code == 403
    assert product_reader.delete(f"{PRODUCTS}/chair-1").status_code == 403
    assert Product.objects.count() == 1


# --- upsert ------------------------------------------------------------------------------


def test_put_creates_with_201_then_updates_with_204_bumping_the_version(manager):
    url = f"{PRODUCTS}/stool"
    body = _without(CHAIR, "id")

    created = manager.put(url, body)
    updated = manager.put(url, {**body, "published": False, "metadata": {"version": 1}})

    assert created.status_code == 201
    assert created.json() == {"id": "stool"}
    assert updated.status_code == 204
    assert updated.content == b""
    stored = manager.get(url).json()
    assert stored["published"] is False
    assert stored["metadata"]["version"] == 2


def test_put_replaces_the_whole_document(manager):
    product_id = _create(manager, published=False)
    url = f"{PRODUCTS}/{product_id}"

    response = manager.put(url, {"name": {"en": "Chair"}})

    assert response.status_code == 204
    stored = manager.get(url).json()
    assert stored["name"] == {"en": "Chair"}
    assert stored["published"] is True
    assert "code" not in stored
    assert "mixins" not in stored


def test_put_with_a_stale_version_is_a_409_and_changes_nothing(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"
    manager.put(url, {**CHAIR, "published": False})

    response = manager.put(url, {**CHAIR, "code": "other", "metadata": {"version": 1}})

    assert response.status_code == 409
    assert response.json()["productId"] == product_id
    stored = manager.get(url).json()
    assert stored["code"] == "CH-001"
    assert stored["metadata"]["version"] == 2


def test_put_that_changes_nothing_keeps_the_version(manager):
    product_id = _create(manager)

    response = manager.put(f"{PRODUCTS}/{product_id}", CHAIR)

    assert response.status_code == 204
    assert manager.get(f"{PRODUCTS}/{product_id}").json()["metadata"]["version"] == 1


def test_put_with_a_different_id_in_the_body_is_a_400(manager):
    response = manager.put(f"{PRODUCTS}/one", {**CHAIR, "id": "two"})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "id"
    assert not Product.objects.exists()


def test_put_with_an_invalid_document_is_a_400_and_keeps_the_product(manager):
    product_id = _create(manager)

    response = manager.put(f"{PRODUCTS}/{product_id}", {**CHAIR, "published": "no"})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "published"
    assert manager.get(f"{PRODUCTS}/{product_id}").json()["published"] is True


def test_put_with_a_non_positive_version_is_a_400(manager):
    product_id = _create(manager)

    response = manager.put(f"{PRODUCTS}/{product_id}", {**CHAIR, "metadata": {"version": 0}})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "metadata.version"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)
def test_concurrent_upserts_with_the_same_version_let_exactly_one_win(pause_at):
    tenant_get_or_create(name=TENANT)
    product_services.product_create(tenant=TENANT, document={"id": "p", "name": {"en": "P"}})
    # Without the row lock every writer would read version 1 before any of them writes.
    pause_at(Checkpoint.DOCUMENT_VERSION_CHECKED, 0.05)
    writers = 6
    outcomes = run_concurrently(
        lambda index: product_services.product_upsert(
            tenant=TENANT,
            product_id="p",
            document={"name": {"en": f"Writer {index}"}, "metadata": {"version": 1}},
        ),
        writers,
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, VersionConflict)]
    assert (len(winners), len(conflicts)) == (1, writers - 1), outcomes
    stored = Product.objects.get(public_id="p")
    assert (stored.version, stored.name) == (2, winners[0][0].name)


# --- patch -------------------------------------------------------------------------------


def test_json_patch_replaces_adds_and_removes(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"

    response = manager.patch(
        url,
        [
            {"op": "replace", "path": "/published", "value": False},
            {"op": "replace", "path": "/name/en", "value": "Armchair"},
            {"op": "remove", "path": "/code"},
            {"op": "replace", "path": "/mixins/dimensions/width", "value": 45},
        ],
        content_type="application/json-patch+json",
    )

    assert response.status_code == 204
    assert response.content == b""
    stored = manager.get(url).json()
    assert stored["published"] is False
    assert stored["name"] == {"en": "Armchair", "de": "Stuhl"}
    assert "code" not in stored
    assert stored["mixins"] == {"dimensions": {"height": 90, "width": 45}}
    assert stored["metadata"]["version"] == 2


def test_json_patch_sent_as_application_json_is_accepted(manager):
    product_id = _create(manager)

    response = manager.patch(
        f"{PRODUCTS}/{product_id}", [{"op": "replace", "path": "/code", "value": "CH-002"}]
    )

    assert response.status_code == 204
    assert manager.get(f"{PRODUCTS}/{product_id}").json()["code"] == "CH-002"


def test_merge_patch_objects_are_accepted(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"

    response = manager.patch(
        url,
        {"published": False, "code": None, "name": {"fr": "Chaise"}, "mixins": {"color": "red"}},
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 204
    stored = manager.get(url).json()
    assert stored["published"] is False
    assert "code" not in stored
    assert stored["name"] == {**CHAIR["name"], "fr": "Chaise"}
    assert stored["mixins"] == {"dimensions": {"height": 90}, "color": "red"}


def test_merge_patch_with_content_language_sets_a_plain_string_name_in_that_language(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"

    response = manager.patch(url, {"name": "Sessel"}, headers={"Content-Language": "de"})

    assert response.status_code == 204
    assert manager.get(url).json()["name"] == {"en": "Chair", "de": "Sessel"}


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "remove", "path": "/name"}],
        [{"op": "replace", "path": "/name", "value": {}}],
        [{"op": "replace", "path": "/published", "value": "no"}],
        [{"op": "replace", "path": "/code", "value": "x" * 129}],
        [{"op": "replace", "path": "/id", "value": "other"}],
        [{"op": "add", "path": "/price", "value": 1}],
        [{"op": "explode", "path": "/code"}],
        [{"op": "replace", "value": "x"}],
        [{"op": "remove", "path": "/nothing/there"}],
        [{"op": "test", "path": "/published", "value": False}],
        [{"op": "replace", "path": "/code", "value": "ok"}, "not an operation"],
        "not a patch",
        {"name": None},
        {"published": "no"},
        {"name": "plain string without Content-Language"},
    ],
)
def test_a_patch_that_yields_an_invalid_product_is_a_400_and_changes_nothing(manager, patch):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"
    before = manager.get(url).json()

    response = manager.patch(url, patch)

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert manager.get(url).json() == before


def test_patch_with_a_stale_version_is_a_409_and_changes_nothing(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"
    manager.patch(url, {"published": False})

    response = manager.patch(url, {"published": True, "metadata": {"version": 1}})

    assert response.status_code == 409
    assert manager.get(url).json()["published"] is False


def test_patch_with_the_current_version_is_applied(manager):
    product_id = _create(manager)
    url = f"{PRODUCTS}/{product_id}"

    response = manager.patch(
        url,
        [
            {"op": "replace", "path": "/code", "value": "v1"},
            {"op": "test", "path": "/metadata/version", "value": 1},
        ],
    )

    assert response.status_code == 204
    assert manager.get(url).json()["metadata"]["version"] == 2


def test_patch_of_an_unknown_product_is_a_404(manager):
    response = manager.patch(f"{PRODUCTS}/missing", {"published": True})

    assert response.status_code == 404
    assert response.json()["productId"] == "missing"
    assert not Product.objects.exists()


# --- delete ------------------------------------------------------------------------------


def test_delete_removes_the_product_and_is_idempotent(manager):
    product_id = _create(manager)

    first = manager.delete(f"{PRODUCTS}/{product_id}")
    second = manager.delete(f"{PRODUCTS}/{product_id}")

    assert first.status_code == 204
    assert first.content == b""
    assert second.status_code == 204
    assert manager.get(f"{PRODUCTS}/{product_id}").status_code == 404


def test_delete_removes_the_products_category_assignments_only(manager):
    _create(manager)
    _create(manager, id="table-1")
    category = make_category(TENANT, "furniture")
    make_assignment(category, Product.objects.get(public_id="chair-1"))
    kept = make_assignment(category, Product.objects.get(public_id="table-1"))

    response = manager.delete(f"{PRODUCTS}/chair-1")

    assert response.status_code == 204
    assert list(CategoryAssignment.objects.all()) == [kept]
    assert Category.objects.filter(pk=category.pk).exists()


# --- list --------------------------------------------------------------------------------


@pytest.fixture
def catalogue(manager):
    """Five products with varied codes, names, publication and mixins."""
    rows = [
        ("p1", "A-1", {"en": "Chair", "de": "Stuhl"}, True, {"height": 90, "color": "red"}),
        ("p2", "A-2", {"en": "Table"}, False, {"height": 75}),
        ("p3", "B-1", {"en": "Chair Deluxe"}, True, {"height": "110"}),
        ("p4", "", {"en": "Armchair", "de": "Sessel"}, False, {}),
        ("p5", "B-2", {"en": "Stool"}, True, {"height": 60}),
    ]
    for product_id, code, name, published, mixins in rows:
        body = {"id": product_id, "name": name, "published": published}
        if code:
            body["code"] = code
        if mixins:
            body["mixins"] = mixins
        assert manager.post(PRODUCTS, body).status_code == 201
    return manager


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [product["id"] for product in response.json()]


def _q(q: str) -> str:
    return urlencode({"q": q})


def test_list_answers_a_plain_array_in_a_stable_order(catalogue):
    response = catalogue.get(PRODUCTS)

    assert _ids(response) == ["p1", "p2", "p3", "p4", "p5"]
    assert response.json()[0] == {
        "id": "p1",
        "code": "A-1",
        "name": {"en": "Chair", "de": "Stuhl"},
        "published": True,
        "mixins": {"height": 90, "color": "red"},
        "metadata": response.json()[0]["metadata"],
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("id:p2", ["p2"]),
        ("id:(p1,p4)", ["p1", "p4"]),
        ("code:A-1", ["p1"]),
        ("code:~B", ["p3", "p5"]),
        ("name.en:Chair", ["p1"]),
        ('name.en:"Chair Deluxe"', ["p3"]),
        ("name.en:~Chair", ["p1", "p3"]),
        ("name.en:~(Chair Deluxe)", ["p3"]),
        ("name.de:null", ["p2", "p3", "p5"]),
        ("published:true", ["p1", "p3", "p5"]),
        ("published:false name.en:~chair", ["p4"]),
        ("mixins.height:>70", ["p1", "p2"]),
        ("mixins.height:(>=60 AND <=80)", ["p2", "p5"]),
        ("mixins.height:110", ["p3"]),
        ("mixins.color:exists", ["p1"]),
        ("mixins.color:missing", ["p2", "p3", "p4", "p5"]),
        ("metadata.version:1", ["p1", "p2", "p3", "p4", "p5"]),
        ('metadata.createdAt:>"2000-01-01T00:00:00Z"', ["p1", "p2", "p3", "p4", "p5"]),
    ],
)
def test_q_filters_by_every_product_field(catalogue, q, expected):
    assert _ids(catalogue.get(f"{PRODUCTS}?{_q(q)}")) == expected


@pytest.mark.parametrize(
    "q", ["unknown:1", "price:>2", "name:Chair", "published:maybe", "code", "id:(a,"]
)
def test_malformed_q_or_unknown_fields_are_a_400(catalogue, q):
    response = catalogue.get(f"{PRODUCTS}?{_q(q)}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "q"


def test_paging_walks_the_list_in_stable_order(catalogue):
    pages = [_ids(catalogue.get(f"{PRODUCTS}?pageSize=2&pageNumber={n}")) for n in (1, 2, 3, 4)]

    assert pages == [["p1", "p2"], ["p3", "p4"], ["p5"], []]


@pytest.mark.parametrize("params", ["pageSize=0", "pageSize=1001", "pageNumber=0", "pageSize=x"])
def test_bad_paging_parameters_are_a_400(catalogue, params):
    response = catalogue.get(f"{PRODUCTS}?{params}")

    assert response.status_code == 400
    assert response.json()["code"] == 400


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name.en:asc", ["p4", "p1", "p3", "p5", "p2"]),
        ("id:desc", ["p5", "p4", "p3", "p2", "p1"]),
        ("published:desc,code:desc", ["p5", "p3", "p1", "p2", "p4"]),
    ],
)
def test_sort_orders_by_whitelisted_fields(catalogue, sort, expected):
    assert _ids(catalogue.get(f"{PRODUCTS}?sort={sort}")) == expected


@pytest.mark.parametrize("sort", ["price:asc", "name.en:sideways", "mixins.height"])
def test_sort_on_an_unknown_or_unsortable_field_is_a_400(catalogue, sort):
    response = catalogue.get(f"{PRODUCTS}?sort={sort}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "sort"


def test_fields_projects_every_element(catalogue):
    response = catalogue.get(f"{PRODUCTS}?fields=id,published&pageSize=2")

    assert response.json() == [{"id": "p1", "published": True}, {"id": "p2", "published": False}]


def test_total_count_header_counts_every_match(catalogue):
    response = catalogue.get(
        f"{PRODUCTS}?pageSize=1&q=published:true", headers={"X-Total-Count": "true"}
    )

    assert len(response.json()) == 1
    assert response["X-Total-Count"] == "3"


def test_total_count_is_absent_unless_asked(catalogue):
    assert "X-Total-Count" not in catalogue.get(PRODUCTS)


def test_list_localizes_names(catalogue):
    response = catalogue.get(f"{PRODUCTS}?pageSize=2", headers={"Accept-Language": "de"})

    assert [product["name"] for product in response.json()] == [{"de": "Stuhl"}, {}]


# --- bulk --------------------------------------------------------------------------------


def _product(product_id: str | None, **extra):
    body = {"name": {"en": f"Product {product_id}"}, **extra}
    if product_id is not None:
        body["id"] = product_id
    return body


def test_bulk_upsert_reports_each_element_in_order_and_applies_the_valid_ones(manager):
    manager.put(BULK, [_product("a"), _product("b")])

    response = manager.put(
        BULK,
        [
            _product("a", published=False, metadata={"version": 1}),
            _product("b", published=False, metadata={"version": 7}),
            _product("c"),
            _product("d", name=None),
            _product(None),
            42,
            _product("bad id"),
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["index"] for entry in entries] == [0, 1, 2, 3, 4, 5, 6]
    assert [entry["code"] for entry in entries] == [204, 409, 201, 400, 201, 400, 400]
    assert entries[0] == {"index": 0, "id": "a", "code": 204, "status": "No Content"}
    assert entries[1]["id"] == "b"
    assert entries[1]["status"] == "Conflict"
    assert entries[2]["status"] == "Created"
    assert "name" in entries[3]["message"]
    assert len(entries[4]["id"]) == 24
    published = dict(Product.objects.values_list("public_id", "published"))
    assert published == {"a": False, "b": True, "c": True, entries[4]["id"]: True}


def test_bulk_upsert_takes_content_language(manager):
    manager.put(BULK, [_product("a")])

    response = manager.put(
        BULK, [{"id": "a", "name": "Produkt A"}], headers={"Content-Language": "de"}
    )

    assert [entry["code"] for entry in response.json()] == [204]
    assert Product.objects.get(public_id="a").name == {"en": "Product a", "de": "Produkt A"}


def test_more_than_200_elements_are_a_400_and_nothing_is_applied(manager):
    response = manager.put(BULK, [_product(f"p{index}") for index in range(201)])

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert not Product.objects.exists()


def test_exactly_200_elements_are_accepted(manager):
    response = manager.put(BULK, [_product(f"p{index}") for index in range(200)])

    assert response.status_code == 207
    assert Product.objects.count() == 200


@pytest.mark.parametrize("body", [{"id": "a"}, "a", None])
def test_a_bulk_body_that_is_not_an_array_is_a_400(manager, body):
    response = manager.put(BULK, body)

    assert response.status_code == 400
    assert not Product.objects.exists()
