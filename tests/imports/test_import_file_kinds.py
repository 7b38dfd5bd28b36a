"""What `import_data` makes of the files people export from spreadsheets: the delimiter
(`,`, `;`, tab) told by the header, a file of another kind recognised, products named by
their code (SKU), repeated rows reported as duplicates, plain JSON messages, and the
rejected rows written back in the input's own format, ready to fix and import again."""

from __future__ import annotations

import json

import pytest

from catalog.models import Product
from segments.models import SegmentCustomerAssignment, SegmentItemAssignment
from tests.catalog.factories import make_category, make_product
from tests.segments.factories import make_customer, make_segment

from . import TENANT, make_tenants, run_import, write_jsonl

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop():
    make_tenants(TENANT)
    make_segment(TENANT, "gold")
    for customer in ("c1", "c2"):
        make_customer(TENANT, customer)
    make_category(TENANT, "shoes")
    make_product(TENANT, "p1", code="SKU-1")
    make_product(TENANT, "p2", code="SKU-2")


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _members() -> set[str]:
    return set(
        SegmentCustomerAssignment.objects.filter(segment__public_id="gold").values_list(
            "customer__public_id", flat=True
        )
    )


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_the_delimiter_is_told_by_the_header(tmp_path, delimiter):
    path = _write(
        tmp_path / "members.csv",
        f"segmentId{delimiter}customerId\ngold{delimiter}c1\ngold{delimiter}c2\n",
    )

    run = run_import("segment-customers", path)

    assert run.ok, run.out
    assert _members() == {"c1", "c2"}


def test_a_members_file_given_as_items_is_recognised(tmp_path):
    path = _write(tmp_path / "members.csv", "segmentId;customerId\ngold;c1\n")

    run = run_import("segment-items", path)

    assert str(run.error) == (
        "Stopped after reading 0 rows: This looks like a members file (column customerId); "
        "choose Members (kind segment-customers). The chunks before were committed (nothing "
        "of the failing one, nothing at all in replace mode or a dry run); fix the problem "
        "and run the same file again to complete the import."
    )
    assert not _members()


def test_a_json_lines_items_file_given_as_members_is_recognised(tmp_path):
    path = write_jsonl(tmp_path / "items.jsonl", [{"type": "PRODUCT", "itemId": "p1"}])

    run = run_import("segment-customers", path)

    assert "This looks like an items file (column type); choose Items (kind segment-items)." in (
        str(run.error)
    )


def test_products_may_be_named_by_their_code(tmp_path):
    make_product(TENANT, "p3", code="SHARED")
    make_product(TENANT, "p4", code="SHARED")
    path = _write(
        tmp_path / "items.csv",
        "segmentId,type,itemId\n"
        "gold,PRODUCT,SKU-1\n"
        "gold,PRODUCT,SHARED\n"
        "gold,PRODUCT,p2\n"
        "gold,PRODUCT,SKU-2\n",
    )

    run = run_import("segment-items", path)

    assert "inserted 2, updated 0, unchanged 0, rejected 2" in run.out
    assert "line 3: itemId: The code SHARED names 2 products; give the product's id." in run.out
    assert "line 5: itemId: This row names the same item as line 4." in run.out
    assigned = SegmentItemAssignment.objects.filter(segment__public_id="gold")
    assert set(assigned.values_list("product__public_id", flat=True)) == {"p1", "p2"}


def test_a_repeated_row_is_a_duplicate_not_unchanged(tmp_path):
    path = _write(
        tmp_path / "members.csv",
        "segmentId,customerId\ngold,c1\ngold,c2\ngold,c1\ngold,c2\n",
    )

    run = run_import("segment-customers", path, chunk_size=3)

    # Found within a chunk (memory stays bounded by one chunk); line 5 is in the next one.
    assert "inserted 2, updated 0, unchanged 1, rejected 1" in run.out
    assert "line 4: body: This row repeats line 2; it is imported once." in run.out


def test_a_json_cell_error_is_said_in_plain_words(tmp_path):
    path = _write(tmp_path / "members.csv", 'segmentId,customerId,mixins\ngold,c1,"{""a"" 1}"\n')

    run = run_import("segment-customers", path)

    assert (
        "line 2: mixins: mixins is not valid JSON: a colon (:) is missing after a name "
        "(at character 6)." in run.out
    )


def test_rejected_csv_rows_keep_the_delimiter_and_header_and_import_again_once_fixed(tmp_path):
    source = _write(
        tmp_path / "members.csv",
        "customerId;segmentId\nc1;gold\nghost;gold\nc2;nope\n",
    )
    rejected = tmp_path / "rejected.csv"

    run = run_import("segment-customers", source, rejected_rows=str(rejected))

    assert f"2 rows were rejected; every one is in {rejected}." in str(run.error)
    assert rejected.read_text().splitlines() == [
        "customerId;segmentId;error",
        "ghost;gold;line 3: customerId: The customer with id ghost has not been found.",
        "c2;nope;line 4: segmentId: The segment with id nope has not been found.",
    ]

    # Fixed in place (the error column stays), the file imports as it is.
    fixed = rejected.read_text().replace("ghost;gold", "c2;gold").splitlines()
    _write(tmp_path / "fixed.csv", "\n".join(line for line in fixed if "nope" not in line))
    again = tmp_path / "again.csv"

    assert run_import("segment-customers", tmp_path / "fixed.csv", rejected_rows=str(again)).ok
    assert _members() == {"c1", "c2"}
    assert again.read_text() == ""


def test_rejected_json_lines_rows_get_an_error_member(tmp_path):
    source = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"segmentId": "gold", "type": "CATEGORY", "itemId": "shoes"},
            {"segmentId": "gold", "type": "PRODUCT", "itemId": "nope", "mixins": {"a": 1}},
            '{"segmentId": "gold",',
        ],
    )
    rejected = tmp_path / "rejected.jsonl"

    run_import("segment-items", source, rejected_rows=str(rejected))

    rows = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert rows == [
        {
            "segmentId": "gold",
            "type": "PRODUCT",
            "itemId": "nope",
            "mixins": {"a": 1},
            "error": "line 2: itemId: The product with id nope has not been found.",
        },
        {
            "row": '{"segmentId": "gold",',
            "error": "line 3: body: The row is not valid JSON: a name is expected in double "
            'quotes ("name"), or there is a comma too many (at line 3, column 22).',
        },
    ]
    assert Product.objects.filter(tenant_id=TENANT).count() == 2
