"""`products_upsert_many`: the set-based write of many products (the imports' write
path), with the rules of `product_upsert`: versions, 409 on a stale version, unchanged
rows left alone, one locking read and one upsert statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.documents.products import product_values
from catalog.models import Product
from catalog.services.products import products_upsert_many
from segments_project.errors import VersionConflict
from tests.catalog.factories import make_product

pytestmark = pytest.mark.django_db

TENANT = "acme"


@dataclass
class Row:
    key: str
    values: dict[str, Any]
    version: int | None = None


def _row(product_id: str, name: str, version: int | None = None) -> Row:
    document = {"id": product_id, "code": f"code-{product_id}", "name": {"en": name}}
    return Row(product_id, product_values(document, content_language=None), version)


def test_new_changed_and_unchanged_rows_are_counted_and_only_the_first_two_written():
    same = make_product(TENANT, "same", name="Same")
    changed = make_product(TENANT, "changed", name="Old")

    upserted = products_upsert_many(
        tenant=TENANT,
        rows=[_row("same", "Same"), _row("changed", "New"), _row("new", "New")],
    )

    assert (upserted.counts.inserted, upserted.counts.updated, upserted.counts.unchanged) == (
        1,
        1,
        1,
    )
    assert upserted.refused == []
    assert sorted(product.public_id for product in upserted.written) == ["changed", "new"]
    stored = {p.public_id: p for p in Product.objects.filter(tenant_id=TENANT)}
    assert stored["same"].version == 1
    assert stored["same"].modified_at == same.modified_at
    assert (stored["changed"].version, stored["changed"].name) == (2, {"en": "New"})
    assert stored["changed"].created_at == changed.created_at
    assert stored["new"].version == 1


def test_a_stale_version_refuses_that_row_only():
    make_product(TENANT, "kept", name="Kept")
    rows = [_row("kept", "Other", version=7), _row("new", "New")]

    upserted = products_upsert_many(tenant=TENANT, rows=rows)

    [(row, error)] = upserted.refused
    assert row is rows[0]
    assert isinstance(error, VersionConflict)
    assert Product.objects.get(tenant_id=TENANT, public_id="kept").name == {"en": "Kept"}
    assert upserted.counts.inserted == 1


def test_one_locking_read_one_insert_and_one_upsert_whatever_the_number_of_rows():
    for number in range(5):
        make_product(TENANT, f"p{number}", name="Old")
    rows = [_row(f"p{number}", "New") for number in range(10)]

    with CaptureQueriesContext(connection) as queries:
        products_upsert_many(tenant=TENANT, rows=rows)

    statements = [
        query["sql"].split()[0]
        for query in queries.captured_queries
        if "SAVEPOINT" not in query["sql"]
    ]
    # The new rows (ON CONFLICT DO NOTHING), then the changed ones (ON CONFLICT DO UPDATE).
    assert statements == ["SELECT", "INSERT", "INSERT"]
    locking_read = queries.captured_queries[1]["sql"]
    # SQLite has no row locks (a writer holds the whole database), so no FOR clause.
    assert ("FOR NO KEY UPDATE" in locking_read) == connection.features.has_select_for_update
