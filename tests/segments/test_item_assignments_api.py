"""Products and categories of a segment: upserts, reads, lists, bulk writes and who may read."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import yaml
from django.db import connection
from django.utils import timezone

from catalog.models import Category, Product
from segments.models import Segment, SegmentItemAssignment
from segments.services import items as item_services
from segments_project.api.documents import format_datetime
from segments_project.checkpoints import Checkpoint
from segments_project.errors import VersionConflict
from segments_project.tenancy import scopes

from ..api.test_schema_conformance import REFERENCE, operations_by_id, scopes_of
from ..catalog.factories import make_category, make_product
from ..concurrency import run_concurrently
from ..conftest import TENANT, Caller
from ..schema_conformance import openapi_schema
from .factories import assign_customer, assign_item, make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
MIXINS = {"segmentAttributes": {"membershipStatus": "PREMIUM", "rank": 3}}
SCHEMAS = {"segmentAttributes": "https://example.com/segmentAttributes.json"}


def _items(segment_id: str = "gold") -> str:
    return f"{SEGMENTS}/{segment_id}/items"


def _item(item_type: str, item_id: str, segment_id: str = "gold") -> str:
    return f"{_items(segment_id)}/{item_type}/{item_id}"


def _bulk(item_type: str = "PRODUCT", segment_id: str = "gold") -> str:
    return f"{_items(segment_id)}/{item_type}/bulk"


def _row(item_id: str, item_type: str = "PRODUCT", segment_id: str = "gold"):
    relation = "product" if item_type == "PRODUCT" else "category"
    return SegmentItemAssignment.objects.filter(
        tenant_id=TENANT,
        segment__public_id=segment_id,
        item_type=item_type,
        **{f"{relation}__public_id": item_id},
    ).first()


def _assigned(segment_id: str = "gold") -> set[tuple[str, str]]:
    rows = SegmentItemAssignment.objects.filter(tenant_id=TENANT, segment__public_id=segment_id)
    return {
        (row.item_type, (row.product or row.category).public_id)
        for row in rows.select_related("product", "category")
    }


def _item_ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [entry["item"]["id"] for entry in response.json()]


def _snapshot() -> list[dict]:
    return list(SegmentItemAssignment.objects.order_by("pk").values())


@pytest.fixture
def shop(db):
    """Segments gold and silver; products p1 (Hammer), p2, p3; categories c1 (Tools), c2."""
    now = timezone.now()
    segments = {segment_id: make_segment(TENANT, segment_id) for segment_id in ("gold", "silver")}
    products = {product_id: make_product(TENANT, product_id) for product_id in ("p1", "p2", "p3")}
    Product.objects.filter(pk=products["p1"].pk).update(
        code="123", name={"en": "Hammer", "de": "Hammer DE", "fr": "Marteau"}
    )
    tools = make_category(TENANT, "c1")
    Category.objects.filter(pk=tools.pk).update(
        code="tools", name={"en": "Tools", "de": "Werkzeuge"}, modified_at=now
    )
    categories = {"c1": tools, "c2": make_category(TENANT, "c2")}
    return {"segments": segments, "products": products, "categories": categories}


# --- PUT /segments/{segmentId}/items/{type}/{itemId} ------------------------------------------


def test_assigning_a_product_answers_201_without_a_body(manager, shop):
    response = manager.put(
        _item("PRODUCT", "p1"), {"mixins": MIXINS, "metadata": {"mixins": SCHEMAS}}
    )

    assert response.status_code == 201
    assert response.content == b""
    row = _row("p1")
    assert row.tenant_id == TENANT
    assert row.segment == shop["segments"]["gold"]
    assert row.product == shop["products"]["p1"]
    assert row.category is None
    assert (row.mixins, row.metadata_mixins, row.version) == (MIXINS, SCHEMAS, 1)


def test_assigning_a_category_answers_201(manager, shop):
    response = manager.put(_item("CATEGORY", "c1"))

    assert response.status_code == 201
    row = _row("c1", "CATEGORY")
    assert (row.category, row.product, row.mixins) == (shop["categories"]["c1"], None, {})


@pytest.mark.parametrize(
    ("path_type", "stored"), [("product", "PRODUCT"), ("Category", "CATEGORY")]
)
def test_the_type_in_the_path_may_be_lower_case(manager, shop, path_type, stored):
    item_id = "p1" if stored == "PRODUCT" else "c1"

    assert manager.put(_item(path_type, item_id)).status_code == 201
    assert manager.get(_item(path_type, item_id)).json()["type"] == stored
    assert manager.delete(_item(path_type, item_id)).status_code == 204
    assert _row(item_id, stored) is None


def test_a_second_put_updates_and_answers_204(manager, shop):
    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS})
    created = _row("p1")

    response = manager.put(
        _item("PRODUCT", "p1"), {"mixins": {"other": 1}, "metadata": {"version": 1}}
    )

    assert response.status_code == 204
    assert response.content == b""
    row = _row("p1")
    assert (row.mixins, row.version, row.pk) == ({"other": 1}, 2, created.pk)
    assert row.created_at == created.created_at
    assert row.modified_at > created.modified_at


def test_a_put_that_changes_nothing_keeps_the_version(manager, shop):
    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS})

    assert manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS}).status_code == 204

    assert _row("p1").version == 1


def test_a_put_replaces_the_mixins(manager, shop):
    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS, "metadata": {"mixins": SCHEMAS}})

    assert manager.put(_item("PRODUCT", "p1"), {}).status_code == 204

    row = _row("p1")
    assert (row.mixins, row.metadata_mixins, row.version) == ({}, {}, 2)


def test_a_stale_version_is_a_409_and_changes_nothing(manager, shop):
    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS})
    manager.put(_item("PRODUCT", "p1"), {"mixins": {"v": 2}})
    before = _snapshot()

    response = manager.put(_item("PRODUCT", "p1"), {"mixins": {"v": 3}, "metadata": {"version": 1}})

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["status"], body["resourceId"]) == (409, "Conflict", "p1")
    assert _snapshot() == before


def test_a_write_never_changes_the_segment_itself(manager, shop):
    before = Segment.objects.filter(public_id="gold").values().get()

    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS})
    manager.put(_item("PRODUCT", "p1"), {"mixins": {}})
    manager.put(_bulk(), [{"id": "p2"}])
    manager.delete(_bulk(), ["p2"])
    manager.delete(_item("PRODUCT", "p1"))

    assert Segment.objects.filter(public_id="gold").values().get() == before


def test_a_write_marks_the_segments_storefront_answers_stale(
    manager, shop, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        manager.put(_item("PRODUCT", "p1"))

    # The answers of the segment's members (and of tenant-wide readers), by one key.
    gold = Segment.objects.get(tenant_id=TENANT, public_id="gold")
    assert published == [(TENANT, frozenset({f"s:{gold.pk}", "S"}))]


def test_assigning_to_an_unknown_segment_is_a_404(manager, shop):
    response = manager.put(_item("PRODUCT", "p1", segment_id="nope"))

    assert response.status_code == 404
    assert response.json()["resourceId"] == "nope"
    assert not SegmentItemAssignment.objects.exists()


@pytest.mark.parametrize(
    ("item_type", "item_id", "label"),
    [
        ("PRODUCT", "ghost", "product"),
        ("CATEGORY", "ghost", "category"),
        # The catalog is checked per type: a product id is no category, and back.
        ("CATEGORY", "p1", "category"),
        ("PRODUCT", "c1", "product"),
    ],
)
def test_an_item_missing_from_the_catalog_is_a_400_naming_it(
    manager, shop, item_type, item_id, label
):
    response = manager.put(_item(item_type, item_id))

    assert response.status_code == 400
    body = response.json()
    assert item_id in body["message"]
    assert label in body["message"]
    assert body["resourceId"] == item_id
    assert not SegmentItemAssignment.objects.exists()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_type_in_the_path_is_a_400(manager, shop, method):
    response = manager.request(method, _item("VARIANT", "p1"))

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "type"
    assert not SegmentItemAssignment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mixins": "gold"}, "mixins"),
        ({"mixins": ["gold"]}, "mixins"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"version": "1"}}, "metadata.version"),
        ({"metadata": {"version": 0}}, "metadata.version"),
        ({"metadata": {"mixins": {"a": 1}}}, "metadata.mixins.a"),
        (["p1"], "body"),
        ('"p1"', "body"),  # a JSON string
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(manager, shop, body, field):
    response = manager.put(_item("PRODUCT", "p1"), body)

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field
    assert not SegmentItemAssignment.objects.exists()


def test_a_reader_may_not_assign(issue_token, shop):
    reader = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))

    response = reader.put(_item("PRODUCT", "p1"))

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert not SegmentItemAssignment.objects.exists()


# --- GET /segments/{segmentId}/items/{type}/{itemId} ------------------------------------------


def test_an_assignment_reads_back_with_its_item(manager, shop):
    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS, "metadata": {"mixins": SCHEMAS}})
    row = _row("p1")

    response = manager.get(_item("PRODUCT", "p1"))

    assert response.status_code == 200
    assert response.json() == {
        "segmentId": "gold",
        "type": "PRODUCT",
        "item": {
            "id": "p1",
            "code": "123",
            "name": {"en": "Hammer", "de": "Hammer DE", "fr": "Marteau"},
        },
        "mixins": MIXINS,
        "metadata": {
            "version": 1,
            "createdAt": format_datetime(row.created_at),
            "modifiedAt": format_datetime(row.modified_at),
            "mixins": SCHEMAS,
        },
    }


def test_a_category_assignment_reads_back_with_the_categorys_name(manager, shop):
    assign_item(shop["segments"]["gold"], shop["categories"]["c1"])
    assign_item(shop["segments"]["gold"], shop["categories"]["c2"])

    tools = manager.get(_item("CATEGORY", "c1")).json()
    other = manager.get(_item("CATEGORY", "c2")).json()

    assert tools["item"] == {
        "id": "c1",
        "code": "tools",
        "name": {"en": "Tools", "de": "Werkzeuge"},
    }
    assert "mixins" not in tools
    # A category without a code has none in its answer.
    assert other["item"] == {"id": "c2", "name": {"en": "Category c2"}}


@pytest.mark.parametrize(
    ("accept", "name"),
    [
        ("de", {"de": "Hammer DE"}),
        ("fr-CH, fr;q=0.9, en;q=0.8", {"fr": "Marteau"}),
        ("it, en;q=0.5", {"en": "Hammer"}),
        ("it", {}),
        ("*", {"en": "Hammer", "de": "Hammer DE", "fr": "Marteau"}),
    ],
)
def test_the_item_name_follows_accept_language(manager, shop, accept, name):
    assign_item(shop["segments"]["gold"], shop["products"]["p1"])

    single = manager.get(_item("PRODUCT", "p1"), headers={"Accept-Language": accept})
    listed = manager.get(_items(), headers={"Accept-Language": accept})

    assert single.json()["item"]["name"] == name
    assert listed.json()[0]["item"]["name"] == name


def test_fields_projects_the_answer(manager, shop):
    assign_item(shop["segments"]["gold"], shop["products"]["p1"])

    response = manager.get(f"{_item('PRODUCT', 'p1')}?fields=item.id,metadata.version")

    assert response.json() == {"item": {"id": "p1"}, "metadata": {"version": 1}}


@pytest.mark.parametrize(
    "path",
    [
        _item("PRODUCT", "p2"),  # exists, but not assigned
        _item("CATEGORY", "p1"),  # assigned as a product, not as a category
        _item("PRODUCT", "p1", segment_id="silver"),  # assigned to another segment
        _item("PRODUCT", "p1", segment_id="nope"),  # unknown segment
    ],
)
def test_an_assignment_that_is_not_there_is_a_404(manager, shop, path):
    assign_item(shop["segments"]["gold"], shop["products"]["p1"])

    response = manager.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == 404
    assert response.json()["status"] == "Not Found"


# --- DELETE /segments/{segmentId}/items/{type}/{itemId} ---------------------------------------


def test_removing_an_assignment_is_idempotent(manager, shop):
    assign_item(shop["segments"]["gold"], shop["products"]["p1"])
    assign_item(shop["segments"]["gold"], shop["products"]["p2"])
    assign_item(shop["segments"]["silver"], shop["products"]["p1"])

    first = manager.delete(_item("PRODUCT", "p1"))
    again = manager.delete(_item("PRODUCT", "p1"))
    never_there = manager.delete(_item("CATEGORY", "c1"))

    assert (first.status_code, again.status_code, never_there.status_code) == (204, 204, 204)
    assert _assigned() == {("PRODUCT", "p2")}
    assert _assigned("silver") == {("PRODUCT", "p1")}
    assert Product.objects.filter(public_id="p1").exists()


def test_removing_from_an_unknown_segment_is_a_404(manager, shop):
    response = manager.delete(_item("PRODUCT", "p1", segment_id="nope"))

    assert response.status_code == 404
    assert response.json()["resourceId"] == "nope"


# --- GET /segments/{segmentId}/items and POST /segments/{segmentId}/items/search --------------


@pytest.fixture
def listed(shop, manager):
    """gold holds p1 (rank 3), p2 (rank 1, version 2), p3 and c1 (rank 5), c2; silver holds p1."""
    manager.put(_item("PRODUCT", "p1"), {"mixins": MIXINS, "metadata": {"mixins": SCHEMAS}})
    manager.put(_item("PRODUCT", "p2"), {"mixins": {"segmentAttributes": {"rank": 0}}})
    manager.put(_item("PRODUCT", "p2"), {"mixins": {"segmentAttributes": {"rank": 1}}})
    manager.put(_item("PRODUCT", "p3"))
    manager.put(_item("CATEGORY", "c1"), {"mixins": {"segmentAttributes": {"rank": 5}}})
    manager.put(_item("CATEGORY", "c2"))
    manager.put(_item("PRODUCT", "p1", segment_id="silver"))
    return shop


def test_the_list_holds_the_segments_items_only(manager, listed):
    response = manager.get(_items())

    assert _item_ids(response) == ["p1", "p2", "p3", "c1", "c2"]
    assert {entry["segmentId"] for entry in response.json()} == {"gold"}
    assert _item_ids(manager.get(_items("silver"))) == ["p1"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("type:PRODUCT", ["p1", "p2", "p3"]),
        ("type:CATEGORY", ["c1", "c2"]),
        ("item.id:p2", ["p2"]),
        ("item.id:(p1,c2)", ["p1", "c2"]),
        ("item.id:~^c", ["c1", "c2"]),
        ("item.code:123", ["p1"]),
        ("item.code:tools", ["c1"]),
        ("item.code:null", ["c2"]),
        ("item.name.en:Hammer", ["p1"]),
        ("item.name.de:~Werk", ["c1"]),
        ("segmentId:gold", ["p1", "p2", "p3", "c1", "c2"]),
        ("segmentId:silver", []),
        ("mixins.segmentAttributes.membershipStatus:PREMIUM", ["p1"]),
        ("mixins.segmentAttributes.rank:>=3", ["p1", "c1"]),
        ("mixins.segmentAttributes.rank:(>0 AND <4)", ["p1", "p2"]),
        ("mixins.segmentAttributes:missing", ["p3", "c2"]),
        ("metadata.version:2", ["p2"]),
        ("metadata.mixins.segmentAttributes:exists", ["p1"]),
        ('metadata.createdAt:>"2000-01-01T00:00:00Z"', ["p1", "p2", "p3", "c1", "c2"]),
        ('metadata.modifiedAt:<"2000-01-01T00:00:00Z"', []),
        ("type:PRODUCT mixins.segmentAttributes.rank:<2", ["p2"]),
    ],
)
def test_q_filters_the_list_and_the_search(manager, listed, q, expected):
    assert _item_ids(manager.get(f"{_items()}?{urlencode({'q': q})}")) == expected
    assert _item_ids(manager.post(f"{_items()}/search", {"q": q})) == expected


@pytest.mark.parametrize(
    "q",
    ["colour:red", "type:VARIANT", "item.name:Hammer", "metadata.version:two", "type:(", "id:p1"],
)
def test_a_bad_q_is_a_400_that_says_why(manager, listed, q):
    for response in (
        manager.get(f"{_items()}?{urlencode({'q': q})}"),
        manager.post(f"{_items()}/search", {"q": q}),
    ):
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == 400
        assert body["details"][0]["field"] == "q"


@pytest.mark.parametrize(("body", "field"), [(["type:PRODUCT"], "body"), ({"q": 1}, "q")])
def test_a_malformed_search_body_is_a_400(manager, listed, body, field):
    response = manager.post(f"{_items()}/search", body)

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field


def test_a_search_without_q_lists_everything(manager, listed):
    assert len(manager.post(f"{_items()}/search", {}).json()) == 5
    assert len(manager.post(f"{_items()}/search").json()) == 5


def test_the_list_pages_sorts_and_counts(manager, listed):
    page = manager.get(
        f"{_items()}?pageSize=2&pageNumber=2&sort=item.id:desc", headers={"X-Total-Count": "true"}
    )
    last = manager.post(
        f"{_items()}/search?pageSize=2&pageNumber=3&sort=type,item.id",
        {"q": "segmentId:gold"},
        headers={"X-Total-Count": "true"},
    )

    assert _item_ids(page) == ["p1", "c2"]
    assert page["X-Total-Count"] == "5"
    assert _item_ids(last) == ["p3"]
    assert last["X-Total-Count"] == "5"
    assert "X-Total-Count" not in manager.get(_items())


def test_the_list_sorts_by_localized_name_and_version(manager, listed):
    by_name = manager.get(f"{_items()}?sort=item.name.en:asc&q=type:CATEGORY")
    by_version = manager.get(f"{_items()}?sort=metadata.version:desc,item.id:asc")

    assert _item_ids(by_name) == ["c2", "c1"]  # "Category c2" < "Tools"
    assert _item_ids(by_version)[0] == "p2"


@pytest.mark.parametrize(
    "query", ["sort=colour", "sort=mixins.segmentAttributes", "pageSize=0", "pageNumber=x"]
)
def test_bad_list_parameters_are_a_400(manager, listed, query):
    response = manager.get(f"{_items()}?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_the_list_projects_fields(manager, listed):
    response = manager.get(f"{_items()}?fields=type,item.id&q=item.id:c1")

    assert response.json() == [{"type": "CATEGORY", "item": {"id": "c1"}}]


def test_listing_an_unknown_segment_is_a_404(manager, shop):
    for response in (manager.get(_items("nope")), manager.post(f"{_items('nope')}/search", {})):
        assert response.status_code == 404
        assert response.json()["resourceId"] == "nope"


@pytest.mark.parametrize("size", [3, 60])
def test_the_list_takes_a_constant_number_of_queries(
    manager, shop, size, django_assert_num_queries
):
    gold = shop["segments"]["gold"]
    now = timezone.now()
    products = Product.objects.bulk_create(
        Product(
            tenant_id=TENANT,
            public_id=f"bulk{i}",
            name={"en": f"B{i}"},
            created_at=now,
            modified_at=now,
        )
        for i in range(size)
    )
    for product in products:
        assign_item(gold, product)
    assign_item(gold, shop["categories"]["c1"])

    # token lookup + segment + page + count, whatever the page size
    with django_assert_num_queries(4):
        response = manager.get(
            f"{_items()}?pageSize=1000", headers={"X-Total-Count": "true", "Accept-Language": "en"}
        )
    with django_assert_num_queries(4):
        searched = manager.post(
            f"{_items()}/search?pageSize=1000",
            {"q": "item.id:~^(bulk|c)"},
            headers={"X-Total-Count": "true"},
        )

    assert len(response.json()) == size + 1
    assert response["X-Total-Count"] == str(size + 1)
    assert len(searched.json()) == size + 1


# --- PUT /segments/{segmentId}/items/{type}/bulk ----------------------------------------------


def test_bulk_upsert_answers_each_element_in_order(manager, shop):
    assign_item(shop["segments"]["gold"], shop["products"]["p2"])
    manager.put(_item("PRODUCT", "p3"), {"mixins": {"a": 1}})
    manager.put(_item("PRODUCT", "p3"), {"mixins": {"a": 2}})  # p3 is at version 2

    response = manager.put(
        _bulk(),
        [
            {"id": "p1", "mixins": MIXINS, "metadata": {"mixins": SCHEMAS}},
            {"id": "p2", "mixins": {"b": 1}, "metadata": {"version": 1}},
            {"id": "ghost"},
            {"id": "p3", "mixins": {"a": 3}, "metadata": {"version": 1}},
            "p1",
            {"mixins": {}},
            {"id": "p1", "mixins": "x"},
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [(entry["index"], entry["code"]) for entry in entries] == [
        (0, 201),
        (1, 204),
        (2, 400),
        (3, 409),
        (4, 400),
        (5, 400),
        (6, 400),
    ]
    assert [entry["status"] for entry in entries[:4]] == [
        "Created",
        "No Content",
        "Bad Request",
        "Conflict",
    ]
    assert [entry.get("id") for entry in entries[:4]] == ["p1", "p2", "ghost", "p3"]
    assert "ghost" in entries[2]["message"]
    assert "mixins" in entries[6]["message"]
    assert "message" not in entries[0]
    assert (_row("p1").mixins, _row("p1").metadata_mixins) == (MIXINS, SCHEMAS)
    assert (_row("p2").mixins, _row("p2").version) == ({"b": 1}, 2)
    assert (_row("p3").mixins, _row("p3").version) == ({"a": 2}, 2)
    assert _assigned() == {("PRODUCT", "p1"), ("PRODUCT", "p2"), ("PRODUCT", "p3")}


def test_bulk_upsert_of_categories_checks_the_categories(manager, shop):
    response = manager.put(_bulk("category"), [{"id": "c1"}, {"id": "p1"}, {"id": "c2"}])

    assert [entry["code"] for entry in response.json()] == [201, 400, 201]
    assert "p1" in response.json()[1]["message"]
    assert _assigned() == {("CATEGORY", "c1"), ("CATEGORY", "c2")}


def test_bulk_upsert_naming_an_item_twice_applies_both_in_order(manager, shop):
    response = manager.put(
        _bulk(),
        [
            {"id": "p1", "mixins": {"a": 1}},
            {"id": "p1", "mixins": {"a": 2}, "metadata": {"version": 1}},
            {"id": "p1", "mixins": {"a": 3}, "metadata": {"version": 1}},
        ],
    )

    assert [entry["code"] for entry in response.json()] == [201, 204, 409]
    row = _row("p1")
    assert (row.mixins, row.version) == ({"a": 2}, 2)


def test_bulk_upsert_of_exactly_200_elements_takes_a_constant_number_of_queries(
    manager, shop, django_assert_max_num_queries
):
    now = timezone.now()
    Product.objects.bulk_create(
        Product(tenant_id=TENANT, public_id=f"b{i}", created_at=now, modified_at=now)
        for i in range(200)
    )
    for i in range(100):
        assign_item(shop["segments"]["gold"], Product.objects.get(public_id=f"b{i}"))
    body = [{"id": f"b{i}", "mixins": {"i": i}} for i in range(200)]

    # token, savepoint and release, segment lock, the items (one query for all 200 ids),
    # the assignments there, the insert, the update, the audit insert and the events'
    # statement. SQLite's limit of 999 parameters splits the insert in two and the audit
    # insert (200 x 10) in three; its events take a read of the streams, their update and
    # two inserts of 100.
    expected = 10 if connection.vendor == "postgresql" else 16
    with django_assert_max_num_queries(expected):
        response = manager.put(_bulk(), body)

    assert response.status_code == 207
    codes = [entry["code"] for entry in response.json()]
    assert codes == [204] * 100 + [201] * 100
    assert SegmentItemAssignment.objects.count() == 200
    assert _row("b7").mixins == {"i": 7}
    assert _row("b150").mixins == {"i": 150}


@pytest.mark.parametrize("method", ["put", "delete"])
def test_more_than_200_elements_are_a_400_naming_the_limit(manager, shop, method):
    body = [{"id": "p1"}] * 201 if method == "put" else ["p1"] * 201
    assign_item(shop["segments"]["gold"], shop["products"]["p1"])
    before = _snapshot()

    response = getattr(manager, method)(_bulk(), body)

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert _snapshot() == before


@pytest.mark.parametrize("body", [{"id": "p1"}, '"p1"'])
def test_a_bulk_body_that_is_not_an_array_is_a_400(manager, shop, body):
    assert manager.put(_bulk(), body).status_code == 400
    assert manager.delete(_bulk(), body).status_code == 400
    assert not SegmentItemAssignment.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_bulk_on_an_unknown_segment_or_type_fails_as_a_whole(manager, shop, method):
    body = [{"id": "p1"}] if method == "put" else ["p1"]

    unknown_segment = getattr(manager, method)(_bulk(segment_id="nope"), body)
    unknown_type = getattr(manager, method)(_bulk("VARIANT"), body)

    assert unknown_segment.status_code == 404
    assert unknown_type.status_code == 400
    assert not SegmentItemAssignment.objects.exists()


def test_an_empty_bulk_is_an_empty_207(manager, shop):
    assert manager.put(_bulk(), []).json() == []
    assert manager.delete(_bulk(), []).json() == []


# --- DELETE /segments/{segmentId}/items/{type}/bulk -------------------------------------------


def test_bulk_delete_answers_each_element_in_order(manager, shop):
    gold = shop["segments"]["gold"]
    for product_id in ("p1", "p2", "p3"):
        assign_item(gold, shop["products"][product_id])
    assign_item(gold, shop["categories"]["c1"])

    response = manager.delete(_bulk(), ["p1", "ghost", 12, None, "p3", {"id": "p2"}, "c1"])

    assert response.status_code == 207
    entries = response.json()
    assert [(entry["index"], entry["code"]) for entry in entries] == [
        (0, 204),
        (1, 204),
        (2, 400),
        (3, 400),
        (4, 204),
        (5, 400),
        (6, 204),
    ]
    assert [entries[i]["id"] for i in (0, 1, 4)] == ["p1", "ghost", "p3"]
    # The category c1 is not touched by a delete of PRODUCT items.
    assert _assigned() == {("PRODUCT", "p2"), ("CATEGORY", "c1")}


def test_bulk_delete_of_categories(manager, shop):
    gold = shop["segments"]["gold"]
    assign_item(gold, shop["categories"]["c1"])
    assign_item(gold, shop["categories"]["c2"])
    assign_item(gold, shop["products"]["p1"])

    response = manager.delete(_bulk("category"), ["c1", "p1"])

    assert [entry["code"] for entry in response.json()] == [204, 204]
    assert _assigned() == {("CATEGORY", "c2"), ("PRODUCT", "p1")}


# --- The catalog rows the assignments point at ------------------------------------------------


def test_deleting_a_product_removes_its_item_assignments(manager, shop):
    for segment in shop["segments"].values():
        assign_item(segment, shop["products"]["p1"])
    assign_item(shop["segments"]["gold"], shop["products"]["p2"])

    shop["products"]["p1"].delete()

    assert _assigned() == {("PRODUCT", "p2")}
    assert _assigned("silver") == set()
    assert manager.get(_item("PRODUCT", "p1")).status_code == 404


def test_deleting_a_category_removes_its_and_its_subcategories_assignments(manager, shop):
    child = make_category(TENANT, "c1a", parent=shop["categories"]["c1"])
    gold = shop["segments"]["gold"]
    for item in (shop["categories"]["c1"], child, shop["categories"]["c2"], shop["products"]["p1"]):
        assign_item(gold, item)

    Category.objects.filter(pk=shop["categories"]["c1"].pk).delete()

    assert _assigned() == {("CATEGORY", "c2"), ("PRODUCT", "p1")}
    assert _item_ids(manager.get(_items())) == ["c2", "p1"]


# --- Who may read ----------------------------------------------------------------------------


@pytest.fixture
def members(shop):
    """Customer c-1 is in gold (B2C) and, acting for acme-corp, in silver (B2B)."""
    acme_corp = make_legal_entity(TENANT, "acme-corp")
    customer = make_customer(TENANT, "c-1", legal_entities=(acme_corp,))
    make_segment(TENANT, "bronze")
    assign_customer(shop["segments"]["gold"], customer)
    assign_customer(shop["segments"]["silver"], customer, acme_corp)
    for segment_id in ("gold", "silver", "bronze"):
        assign_item(Segment.objects.get(public_id=segment_id), shop["products"]["p1"])
    return shop


def _readable(caller: Caller, segment_id: str, query: str = "") -> dict[str, int]:
    return {
        "list": caller.get(f"{_items(segment_id)}{query}").status_code,
        "search": caller.post(f"{_items(segment_id)}/search{query}", {}).status_code,
        "item": caller.get(f"{_item('PRODUCT', 'p1', segment_id)}{query}").status_code,
    }


def test_a_customer_token_reads_the_items_of_its_own_segments_only(issue_token, members):
    b2c = Caller(issue_token(customer_id="c-1"))

    assert _readable(b2c, "gold") == {"list": 200, "search": 200, "item": 200}
    assert _readable(b2c, "silver") == {"list": 404, "search": 404, "item": 404}
    assert _readable(b2c, "bronze") == {"list": 404, "search": 404, "item": 404}
    assert _item_ids(b2c.get(_items("gold"))) == ["p1"]


def test_a_customer_acting_for_a_legal_entity_reads_its_b2b_segments_too(issue_token, members):
    b2b = Caller(issue_token(customer_id="c-1", legal_entity_id="acme-corp"))
    b2c = Caller(issue_token(customer_id="c-1"))

    assert _readable(b2b, "silver") == {"list": 200, "search": 200, "item": 200}
    assert _readable(b2b, "gold") == {"list": 200, "search": 200, "item": 200}
    assert _readable(b2b, "bronze") == {"list": 404, "search": 404, "item": 404}
    # legalEntityId picks the legal entity, but only one the customer belongs to.
    assert _readable(b2c, "silver", "?legalEntityId=acme-corp") == {
        "list": 200,
        "search": 200,
        "item": 200,
    }
    make_legal_entity(TENANT, "stranger-corp")
    assert _readable(b2c, "silver", "?legalEntityId=stranger-corp") == {
        "list": 404,
        "search": 404,
        "item": 404,
    }


def test_a_customer_token_may_not_write_items(issue_token, members):
    customer = Caller(issue_token(customer_id="c-1"))
    before = _snapshot()

    responses = [
        customer.put(_item("PRODUCT", "p2")),
        customer.delete(_item("PRODUCT", "p1")),
        customer.put(_bulk(), [{"id": "p2"}]),
        customer.delete(_bulk(), ["p1"]),
    ]

    assert [response.status_code for response in responses] == [403] * 4
    assert _snapshot() == before


def test_a_tenant_wide_reader_reads_every_segments_items(reader, members):
    for segment_id in ("gold", "silver", "bronze"):
        assert _readable(reader, segment_id) == {"list": 200, "search": 200, "item": 200}
    # legalEntityId only matters for customer tokens.
    assert _readable(reader, "bronze", "?legalEntityId=acme-corp")["list"] == 200


def test_a_caller_without_a_token_is_a_401(anonymous, members):
    response = anonymous.get(_items())

    assert response.status_code == 401
    assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"


# --- The contract ---------------------------------------------------------------------------

ITEM_OPERATION_IDS = (
    "GET-customer-segment-retrieve-segment-items",
    "POST-customer-segment-search-items",
    "GET-customer-segment-retrieve-item",
    "PUT-customer-segment-update-item",
    "DELETE-customer-segment-remove-item",
    "PUT-customer-segment-update-items-bulk",
    "DELETE-customer-segment-remove-items-bulk",
)


@pytest.mark.parametrize("operation_id", ITEM_OPERATION_IDS)
def test_item_operations_carry_the_references_ids_and_scopes(operation_id):
    reference = operations_by_id(yaml.safe_load(REFERENCE.read_text()))
    ours = operations_by_id(openapi_schema())

    assert operation_id in ours
    assert scopes_of(ours[operation_id]) == scopes_of(reference[operation_id])


def test_the_put_answers_are_documented_without_a_body():
    put = operations_by_id(openapi_schema())["PUT-customer-segment-update-item"]

    assert not put["responses"]["201"].get("content")
    assert not put["responses"]["204"].get("content")


# --- Concurrent writers (PostgreSQL, real connections) ---------------------------------------

WRITERS = 8
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)


def _run_concurrently(work) -> list[object]:
    return run_concurrently(work, WRITERS)


@pytest.fixture
def slow_version_check(pause_at):
    """Widens the gap between reading the assignments and writing them, so that writers
    that were not serialized would all read version 1 before any of them writes."""
    pause_at(Checkpoint.ITEM_VERSION_CHECKED, 0.05)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_with_the_same_version_let_exactly_one_win(slow_version_check):
    gold = make_segment(TENANT, "gold")
    assign_item(gold, make_product(TENANT, "p1"))

    def write(index: int) -> bool:
        return item_services.item_assignment_upsert(
            tenant=TENANT,
            segment_id="gold",
            item_type="PRODUCT",
            item_id="p1",
            document={"mixins": {"writer": index}, "metadata": {"version": 1}},
        )

    outcomes = _run_concurrently(write)

    conflicts = [outcome for outcome in outcomes if isinstance(outcome, VersionConflict)]
    assert outcomes.count(False) == 1, outcomes
    assert len(conflicts) == WRITERS - 1, outcomes
    assert _row("p1").version == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_creates_of_the_same_items_insert_each_once():
    make_segment(TENANT, "gold")
    for index in range(20):
        make_product(TENANT, f"p{index}")

    def write(index: int) -> list[int]:
        outcomes = item_services.item_assignments_upsert_bulk(
            tenant=TENANT,
            segment_id="gold",
            item_type="PRODUCT",
            documents=[{"id": f"p{i}", "mixins": {"writer": index}} for i in range(20)],
        )
        return [outcome.code for outcome in outcomes]

    outcomes = _run_concurrently(write)

    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    # One writer created all twenty; the others updated them.
    assert sorted(outcome[0] for outcome in outcomes) == [201] + [204] * (WRITERS - 1)
    assert SegmentItemAssignment.objects.count() == 20
