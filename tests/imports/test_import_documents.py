"""`import_data` of documents addressed by id: products, segments, legal entities and
customers, from CSV and JSON Lines."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import Product
from segments.models import Customer, CustomerLegalEntity, LegalEntity, Segment
from segments_project.imports.report import read_rejections
from tests.segments.factories import make_legal_entity

from . import TENANT, make_tenants, run_import, snapshot, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

PRODUCT_HEADER = ["id", "code", "name.en", "name.de", "published", "mixins"]


@pytest.fixture(autouse=True)
def _tenant():
    make_tenants(TENANT)


def test_products_from_csv_are_inserted_with_every_column(tmp_path):
    path = write_csv(
        tmp_path / "products.csv",
        PRODUCT_HEADER,
        [
            ["p1", "C-1", "Shoe", "Schuh", "true", '{"color": "red"}'],
            ["p2", "", "Sock", "", "FALSE", ""],
        ],
    )

    run = run_import("products", path)

    assert run.ok, run
    assert "read 2, inserted 2, updated 0, unchanged 0, rejected 0" in run.out
    p1, p2 = Product.objects.filter(tenant_id=TENANT).order_by("public_id")
    assert (p1.code, p1.name, p1.published, p1.mixins) == (
        "C-1",
        {"en": "Shoe", "de": "Schuh"},
        True,
        {"color": "red"},
    )
    assert (p2.code, p2.name, p2.published, p2.mixins, p2.version) == (
        "",
        {"en": "Sock"},
        False,
        {},
        1,
    )


def test_products_from_jsonl_take_the_api_documents_as_they_are(tmp_path):
    path = write_jsonl(
        tmp_path / "products.jsonl",
        [
            {"id": "p1", "name": {"en": "Shoe"}, "metadata": {"mixins": {"x": "https://s/x"}}},
            {"id": "p2", "code": "C2", "name": {"fr": "Chaussette"}, "published": False},
        ],
    )

    run = run_import("products", path)

    assert run.ok, run
    p1 = Product.objects.get(tenant_id=TENANT, public_id="p1")
    assert p1.metadata_mixins == {"x": "https://s/x"}
    assert p1.published is True  # the API's default
    assert Product.objects.get(tenant_id=TENANT, public_id="p2").name == {"fr": "Chaussette"}


def test_a_second_run_of_the_same_file_changes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "products.csv", PRODUCT_HEADER, [["p1", "C-1", "Shoe", "Schuh", "true", ""]]
    )
    assert run_import("products", path).ok
    before = snapshot()

    again = run_import("products", path)

    assert "inserted 0, updated 0, unchanged 1" in again.out
    assert snapshot() == before  # versions and modification times included


def test_a_changed_row_gets_the_next_version_and_a_new_modification_time(tmp_path):
    first = write_csv(tmp_path / "a.csv", PRODUCT_HEADER, [["p1", "C", "Shoe", "", "true", ""]])
    assert run_import("products", first).ok
    stored = Product.objects.get(public_id="p1")
    second = write_csv(tmp_path / "b.csv", PRODUCT_HEADER, [["p1", "C", "Boot", "", "true", ""]])

    run = run_import("products", second)

    assert "inserted 0, updated 1, unchanged 0" in run.out
    product = Product.objects.get(public_id="p1")
    assert product.name == {"en": "Boot"}  # the row replaces the document
    assert product.version == 2
    assert product.created_at == stored.created_at
    assert product.modified_at > stored.modified_at


def test_bad_rows_are_rejected_with_line_field_and_reason_and_the_others_imported(tmp_path):
    path = write_csv(
        tmp_path / "products.csv",
        PRODUCT_HEADER,
        [
            ["p1", "", "Shoe", "", "true", ""],
            ["", "", "No id", "", "", ""],
            ["p3", "", "", "", "", ""],
            ["p4", "", "Sock", "", "maybe", ""],
            ["p5", "", "Hat", "", "", "{not json"],
            ["bad id", "", "Hat", "", "", ""],
            ["p7", "", "Cap", "", "", ""],
        ],
    )
    errors = tmp_path / "errors.csv"

    run = run_import("products", path, errors=str(errors))

    assert not run.ok
    assert "5 rows were rejected" in str(run.error)
    assert sorted(Product.objects.values_list("public_id", flat=True)) == ["p1", "p7"]
    rejected = [(r["line"], r["field"], r["type"]) for r in read_rejections(str(errors))]
    assert rejected == [
        (3, "id", "required"),
        (4, "name", "required"),
        (5, "published", "invalid"),
        (6, "mixins", "invalid"),
        (7, "id", "invalid"),
    ]
    assert "line 5: published: published must be true or false." in run.out
    assert "rejected 5" in run.out


def test_errors_can_be_written_as_json_lines(tmp_path):
    path = write_jsonl(tmp_path / "products.jsonl", ['{"id": "p1"', {"id": "p2", "name": 5}])
    errors = tmp_path / "errors.jsonl"

    run_import("products", path, errors=str(errors))

    broken, wrong = read_rejections(str(errors))
    assert (broken["line"], broken["field"], broken["type"]) == (1, "body", "invalid")
    assert broken["message"] == (
        "The row is not valid JSON: a comma (,) is missing between two values "
        "(at line 1, column 12)."
    )
    assert wrong == {
        "line": 2,
        "field": "name",
        "type": "invalid",
        "message": "name must be an object mapping language codes to text.",
        "id": None,
    }


def test_a_stale_metadata_version_is_rejected_as_on_the_api(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "p1", "name": {"en": "Shoe"}}])
    assert run_import("products", path).ok
    stale = write_jsonl(
        tmp_path / "stale.jsonl",
        [{"id": "p1", "name": {"en": "Boot"}, "metadata": {"version": 7}}],
    )

    run = run_import("products", stale)

    assert "line 1: metadata.version:" in run.out
    assert "version 7 is not the current version 1" in run.out
    assert Product.objects.get(public_id="p1").name == {"en": "Shoe"}


def test_segments_from_csv_with_validity_and_descriptions(tmp_path):
    path = write_csv(
        tmp_path / "segments.csv",
        ["id", "name.en", "description.en", "status", "siteCode", "validity.from", "validity.to"],
        [
            ["gold", "Gold", "Best", "ACTIVE", "main", "2025-01-01T00:00:00Z", ""],
            ["odd", "Odd", "", "ACTIVE", "main", "2026-01-01T00:00:00Z", "2025-01-01T00:00:00Z"],
            ["nosite", "No site", "", "ACTIVE", "", "", ""],
        ],
    )

    run = run_import("segments", path)

    gold = Segment.objects.get(public_id="gold")
    assert gold.valid_from == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert gold.description == {"en": "Best"}
    assert "line 3: validity: validity.from must not be after validity.to." in run.out
    assert "line 4: siteCode: siteCode is required." in run.out


def test_legal_entities_and_customers_with_their_links(tmp_path):
    entities = write_csv(
        tmp_path / "le.csv", ["id", "name"], [["le1", "Acme Corp"], ["le2", "Beta"], ["le3", ""]]
    )
    customers = write_csv(
        tmp_path / "customers.csv",
        ["id", "firstName", "lastName", "email", "legalEntityIds"],
        [
            ["c1", "Ann", "A", "ann@example.com", '["le1", "le2"]'],
            ["c2", "Bob", "B", "not-an-email", ""],
            ["c3", "Cid", "C", "", '["le1", "nope"]'],
            ["c4", "Dee", "D", "", ""],
        ],
    )

    entity_run = run_import("legal-entities", entities)
    customer_run = run_import("customers", customers)

    assert "line 4: name: name is required." in entity_run.out
    assert "line 3: email:" in customer_run.out
    assert "line 4: legalEntityIds: The legal entity with id nope has not been found." in (
        customer_run.out
    )
    c1 = Customer.objects.get(public_id="c1")
    assert sorted(c1.legal_entities.values_list("public_id", flat=True)) == ["le1", "le2"]
    assert sorted(Customer.objects.values_list("public_id", flat=True)) == ["c1", "c4"]


def test_a_change_of_links_alone_is_a_new_customer_version(tmp_path):
    make_legal_entity(TENANT, "le1")
    make_legal_entity(TENANT, "le2")
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "c1", "legalEntityIds": ["le1"]}])
    assert run_import("customers", first).ok
    second = write_jsonl(tmp_path / "b.jsonl", [{"id": "c1", "legalEntityIds": ["le2"]}])

    run = run_import("customers", second)

    assert "updated 1" in run.out
    customer = Customer.objects.get(public_id="c1")
    assert customer.version == 2
    assert list(customer.legal_entities.values_list("public_id", flat=True)) == ["le2"]
    assert CustomerLegalEntity.objects.filter(tenant_id=TENANT).count() == 1
    assert run_import("customers", second).out.count("unchanged 1") == 1


def test_dry_run_validates_everything_and_writes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "products.csv",
        PRODUCT_HEADER,
        [["p1", "", "Shoe", "", "", ""], ["p2", "", "", "", "", ""]],
    )

    run = run_import("products", path, dry_run=True)

    assert "Dry run (nothing written): products: read 2, inserted 1" in run.out
    assert "line 3: name: name is required." in run.out
    assert not run.ok
    assert not Product.objects.exists()
    assert not LegalEntity.objects.exists()


def test_a_key_named_twice_in_one_chunk_applies_in_file_order_and_a_repeat_is_a_duplicate(
    tmp_path,
):
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": "p1", "name": {"en": "One"}},
            {"id": "p1", "name": {"en": "Two"}},
            {"id": "p1", "name": {"en": "Two"}},
        ],
    )

    run = run_import("products", path)

    assert "inserted 1, updated 1, unchanged 0, rejected 1" in run.out
    assert "line 3: body: This row repeats line 2; it is imported once." in run.out
    product = Product.objects.get(public_id="p1")
    assert (product.name, product.version) == ({"en": "Two"}, 2)
