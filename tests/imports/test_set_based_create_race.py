"""A set-based write (an import) that plans a row as new while another writer creates that
id writes it as the update it has become: the other writer's document is versioned over,
never overwritten in place as version 1 (which would lose it without a trace)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction

from catalog.documents.products import product_values
from catalog.models import Product
from catalog.services.products import product_upsert, products_upsert_many
from segments.documents.directory import customer_values
from segments.models import Customer
from segments.services.directory import customer_upsert, customers_upsert_many
from segments_project.checkpoints import Checkpoint
from segments_project.tenancy.services import tenant_get_or_create
from tests.segments.factories import make_legal_entity

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

TENANT = "acme"


def _while_planned(on_checkpoint, set_based_write, other_write) -> Any:
    """Runs `set_based_write` in a thread; when it has planned its rows (after its locking
    read, before it writes), runs and commits `other_write`, then lets it go on."""
    planned, other_done = threading.Event(), threading.Event()

    def hold(**_: Any) -> None:
        planned.set()
        assert other_done.wait(10)

    on_checkpoint(Checkpoint.DOCUMENTS_PLANNED, hold)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with transaction.atomic():
                outcome["result"] = set_based_write()
        except Exception as exc:  # asserted on below
            outcome["result"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert planned.wait(10)
    other_write()
    other_done.set()
    thread.join(10)
    return outcome["result"]


def test_a_product_created_meanwhile_gets_version_2_from_the_import(on_checkpoint):
    tenant_get_or_create(name=TENANT)
    document = {"id": "x", "name": {"en": "From the import"}}
    row = SimpleNamespace(
        key="x", values=product_values(document, content_language=None), version=None
    )

    upserted = _while_planned(
        on_checkpoint,
        lambda: products_upsert_many(tenant=TENANT, rows=[row]),
        lambda: product_upsert(
            tenant=TENANT, product_id="x", document={"name": {"en": "From the API"}}
        ),
    )

    assert (upserted.counts.inserted, upserted.counts.updated) == (0, 1)
    assert upserted.raced == []
    stored = Product.objects.get(tenant_id=TENANT, public_id="x")
    assert (stored.version, stored.name) == (2, {"en": "From the import"})


def test_a_customer_created_meanwhile_gets_the_imports_links(on_checkpoint):
    make_legal_entity(TENANT, "le1")
    make_legal_entity(TENANT, "le2")
    document = {"id": "ann", "firstName": "Ann", "lastName": "Import", "email": "a@x.org"}
    row = SimpleNamespace(
        key="ann",
        values=customer_values(document, content_language=None),
        version=None,
        legal_entity_ids=("le2",),
    )

    upserted = _while_planned(
        on_checkpoint,
        lambda: customers_upsert_many(tenant=TENANT, rows=[row]),
        lambda: customer_upsert(
            tenant=TENANT,
            customer_id="ann",
            document={"firstName": "Ann", "lastName": "Api", "legalEntityIds": ["le1"]},
        ),
    )

    assert (upserted.counts.inserted, upserted.counts.updated) == (0, 1)
    stored = Customer.objects.get(tenant_id=TENANT, public_id="ann")
    assert (stored.version, stored.last_name) == (2, "Import")
    assert set(stored.legal_entities.values_list("public_id", flat=True)) == {"le2"}
