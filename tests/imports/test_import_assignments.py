"""`import_data` of links: product-categories, segment-items, segment-customers; replace
mode."""

from __future__ import annotations

import pytest

from catalog.models import CategoryAssignment
from segments.models import SegmentCustomerAssignment, SegmentItemAssignment
from tests.catalog.factories import make_assignment, make_category, make_product
from tests.segments.factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

from . import OTHER_TENANT, TENANT, make_tenants, run_import, snapshot, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

MEMBER_HEADER = ["segmentId", "customerId", "legalEntityId", "mixins"]
ITEM_HEADER = ["segmentId", "type", "itemId", "mixins"]


@pytest.fixture(autouse=True)
def _tenants():
    make_tenants(TENANT, OTHER_TENANT)


def _members(segment_id: str | None = None) -> set[tuple[str, str, str | None]]:
    rows = SegmentCustomerAssignment.objects.filter(tenant_id=TENANT)
    if segment_id:
        rows = rows.filter(segment__public_id=segment_id)
    return set(
        rows.values_list("segment__public_id", "customer__public_id", "legal_entity__public_id")
    )


def _items() -> set[tuple[str, str, str]]:
    return {
        (row.segment.public_id, row.item_type, (row.product or row.category).public_id)
        for row in SegmentItemAssignment.objects.filter(tenant_id=TENANT).select_related(
            "segment", "product", "category"
        )
    }


def test_products_in_categories_with_unknown_references_rejected(tmp_path):
    make_product(TENANT, "p1")
    make_product(TENANT, "p2")
    make_product(OTHER_TENANT, "theirs")
    shoes = make_category(TENANT, "shoes")
    make_assignment(shoes, make_product(TENANT, "p0"))
    path = write_csv(
        tmp_path / "links.csv",
        ["productId", "categoryId"],
        [["p1", "shoes"], ["p2", "shoes"], ["p0", "shoes"], ["theirs", "shoes"], ["p1", "nope"]],
    )

    run = run_import("product-categories", path)

    assert "read 5, inserted 2, updated 0, unchanged 1, rejected 2" in run.out
    assert "line 5: productId: The product with id theirs has not been found." in run.out
    assert "line 6: categoryId: The category with id nope has not been found." in run.out
    assert set(CategoryAssignment.objects.values_list("product__public_id", flat=True)) == {
        "p0",
        "p1",
        "p2",
    }


def test_segment_items_of_both_types_and_their_custom_data(tmp_path):
    make_segment(TENANT, "gold")
    make_product(TENANT, "p1")
    make_category(TENANT, "c1")
    path = write_csv(
        tmp_path / "items.csv",
        ITEM_HEADER,
        [
            ["gold", "PRODUCT", "p1", '{"rank": 1}'],
            ["gold", "category", "c1", ""],
            ["gold", "CATEGORY", "p1", ""],
            ["gold", "BRAND", "p1", ""],
            ["nope", "PRODUCT", "p1", ""],
        ],
    )

    run = run_import("segment-items", path)

    assert "inserted 2" in run.out and "rejected 3" in run.out
    assert "line 4: itemId: The category with id p1 has not been found." in run.out
    assert "line 5: type: type must be PRODUCT or CATEGORY." in run.out
    assert "line 6: segmentId: The segment with id nope has not been found." in run.out
    assert _items() == {("gold", "PRODUCT", "p1"), ("gold", "CATEGORY", "c1")}
    row = SegmentItemAssignment.objects.get(item_type="PRODUCT")
    assert (row.mixins, row.version) == ({"rank": 1}, 1)

    changed = write_csv(tmp_path / "b.csv", ITEM_HEADER, [["gold", "PRODUCT", "p1", '{"rank": 2}']])
    assert "updated 1" in run_import("segment-items", changed).out
    row.refresh_from_db()
    assert (row.mixins, row.version) == ({"rank": 2}, 2)


def test_segment_customers_b2c_and_b2b_with_the_api_rules(tmp_path):
    make_segment(TENANT, "gold")
    acme = make_legal_entity(TENANT, "le-acme")
    make_legal_entity(TENANT, "le-other")
    make_customer(TENANT, "ann", legal_entities=(acme,))
    make_customer(TENANT, "bob")
    make_customer(OTHER_TENANT, "eve")
    path = write_csv(
        tmp_path / "members.csv",
        MEMBER_HEADER,
        [
            ["gold", "ann", "", ""],
            ["gold", "ann", "le-acme", '{"tier": "A"}'],
            ["gold", "bob", "le-acme", ""],
            ["gold", "ann", "le-ghost", ""],
            ["gold", "eve", "", ""],
            ["gold", "", "", ""],
            ["gold", "bob", "", "[1]"],
        ],
    )
    errors = tmp_path / "errors.jsonl"

    run = run_import("segment-customers", path, errors=str(errors))

    assert "inserted 2" in run.out and "rejected 5" in run.out
    assert (
        "line 4: legalEntityId: The customer bob does not belong to the legal entity le-acme."
        in run.out
    )
    assert "line 5: legalEntityId: The legal entity with id le-ghost has not been found." in run.out
    assert "line 6: customerId: The customer with id eve has not been found." in run.out
    assert "line 7: customerId: customerId is required." in run.out
    assert "line 8: mixins: mixins must be an object." in run.out
    assert _members() == {("gold", "ann", None), ("gold", "ann", "le-acme")}


def test_re_running_members_changes_nothing(tmp_path):
    make_segment(TENANT, "gold")
    make_customer(TENANT, "ann")
    make_customer(TENANT, "bob")
    path = write_jsonl(
        tmp_path / "m.jsonl",
        [
            {"segmentId": "gold", "customerId": "ann", "mixins": {"a": 1}},
            {"segmentId": "gold", "customerId": "bob"},
        ],
    )
    assert run_import("segment-customers", path).ok
    before = snapshot()

    again = run_import("segment-customers", path)

    assert "inserted 0, updated 0, unchanged 2" in again.out
    assert snapshot() == before


def test_replace_mode_leaves_each_named_segment_exactly_the_file(tmp_path):
    gold, silver, bronze = (make_segment(TENANT, name) for name in ("gold", "silver", "bronze"))
    ann, bob, cid = (make_customer(TENANT, name) for name in ("ann", "bob", "cid"))
    assign_customer(gold, ann)
    assign_customer(gold, bob)
    assign_customer(silver, cid)
    assign_customer(bronze, ann)  # not in the file: left alone
    path = write_csv(
        tmp_path / "members.csv",
        MEMBER_HEADER,
        [["gold", "bob", "", ""], ["gold", "cid", "", ""], ["silver", "ann", "", ""]],
    )

    run = run_import("segment-customers", path, mode="replace", chunk_size=1)

    assert run.ok, run.out
    assert "inserted 2, updated 0, unchanged 1, rejected 0, deleted 2" in run.out
    assert _members() == {
        ("gold", "bob", None),
        ("gold", "cid", None),
        ("silver", "ann", None),
        ("bronze", "ann", None),
    }


def test_replace_mode_keeps_automatic_members_and_a_named_one_becomes_manual(tmp_path):
    gold = make_segment(TENANT, "gold")
    ann, bob, cid = (make_customer(TENANT, name) for name in ("ann", "bob", "cid"))
    assign_customer(gold, ann)
    for customer in (bob, cid):
        assign_customer(gold, customer)
    SegmentCustomerAssignment.objects.filter(customer__in=(bob, cid)).update(
        assignment_type="AUTOMATIC"
    )
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER, [["gold", "cid", "", ""]])

    run = run_import("segment-customers", path, mode="replace")

    assert run.ok, run.out
    assert "updated 1" in run.out and "deleted 1" in run.out
    assert dict(
        SegmentCustomerAssignment.objects.values_list("customer__public_id", "assignment_type")
    ) == {"bob": "AUTOMATIC", "cid": "MANUAL"}


def test_replace_mode_does_not_prune_a_segment_named_by_a_rejected_row(tmp_path):
    gold, silver = make_segment(TENANT, "gold"), make_segment(TENANT, "silver")
    ann = make_customer(TENANT, "ann")
    make_customer(TENANT, "bob")
    assign_customer(gold, ann)
    assign_customer(silver, ann)
    path = write_csv(
        tmp_path / "members.csv",
        MEMBER_HEADER,
        [["gold", "bob", "", ""], ["silver", "bob", "", ""], ["silver", "ghost", "", ""]],
    )

    run = run_import("segment-customers", path, mode="replace")

    assert not run.ok
    assert "deleted 1" in run.out
    assert "Not pruned, because rows naming them were rejected: silver." in run.out
    assert _members("gold") == {("gold", "bob", None)}
    assert _members("silver") == {("silver", "ann", None), ("silver", "bob", None)}


def test_replace_mode_for_items_and_its_dry_run(tmp_path):
    gold = make_segment(TENANT, "gold")
    p1, p2 = make_product(TENANT, "p1"), make_product(TENANT, "p2")
    assign_item(gold, p1)
    assign_item(gold, make_category(TENANT, "c1"))
    path = write_csv(tmp_path / "items.csv", ITEM_HEADER, [["gold", "PRODUCT", "p2", ""]])
    before = snapshot()

    dry = run_import("segment-items", path, mode="replace", dry_run=True)

    assert "Dry run (nothing written): segment-items: read 1, inserted 1" in dry.out
    assert "deleted 2" in dry.out
    assert snapshot() == before

    assert run_import("segment-items", path, mode="replace").ok
    assert _items() == {("gold", "PRODUCT", "p2")}
    assert p2.pk in SegmentItemAssignment.objects.values_list("product_id", flat=True)


def test_replace_mode_is_refused_for_kinds_without_it(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [["p1", "Shoe"]])

    run = run_import("products", path, mode="replace")

    assert "--mode replace is not available for products" in str(run.error)


def test_a_member_named_again_later_in_the_file_is_updated_in_file_order(tmp_path):
    make_segment(TENANT, "gold")
    make_customer(TENANT, "ann")
    make_customer(TENANT, "bob")
    path = write_jsonl(
        tmp_path / "m.jsonl",
        [
            {"segmentId": "gold", "customerId": "ann", "mixins": {"n": 1}},
            {"segmentId": "gold", "customerId": "bob"},
            {"segmentId": "gold", "customerId": "ann", "mixins": {"n": 2}},  # same chunk
            {"segmentId": "gold", "customerId": "bob", "mixins": {"n": 3}},  # next chunk
            {"segmentId": "gold", "customerId": "ann", "mixins": {"n": 4}},
        ],
    )

    run = run_import("segment-customers", path, chunk_size=3)

    assert "inserted 2, updated 3, unchanged 0" in run.out
    rows = SegmentCustomerAssignment.objects.filter(tenant_id=TENANT)
    assert {(r.customer.public_id, r.mixins["n"], r.version) for r in rows} == {
        ("ann", 4, 3),
        ("bob", 3, 2),
    }
