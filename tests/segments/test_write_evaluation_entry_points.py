"""Every way a customer or legal entity is written evaluates the rule segments in the write:
the API (PUT, PATCH, bulk PUT, legal entities) and `import_data` (customers, legal
entities). The caller reads its own write: the membership is there when the call returns.
The admin's form is in tests/admin/test_write_evaluation.py."""

from __future__ import annotations

import pytest

from segments.models import SegmentCustomerAssignment

from ..conftest import TENANT
from ..imports import run_import, write_csv
from .factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

CUSTOMERS = f"/customer/{TENANT}/customers"
LEGAL_ENTITIES = f"/customer/{TENANT}/legal-entities"


@pytest.fixture
def rules(db) -> None:
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "big", criteria={"legalEntities": "name:~Big"})


def _members() -> set[tuple[str, str, str | None]]:
    return set(
        SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).values_list(
            "segment__public_id", "customer__public_id", "legal_entity__public_id"
        )
    )


def test_api_put_and_patch_of_a_customer(manager, rules):
    assert manager.put(f"{CUSTOMERS}/ada", {"preferredLanguage": "de"}).status_code == 201
    assert _members() == {("germans", "ada", None)}
    members = manager.get(f"/customer-segment/{TENANT}/segments/germans/customers").json()
    assert [(m["customer"]["id"], m["assignmentType"]) for m in members] == [("ada", "AUTOMATIC")]

    assert manager.patch(f"{CUSTOMERS}/ada", {"preferredLanguage": "en"}).status_code == 204
    assert _members() == set()


def test_api_bulk_put_of_customers(manager, rules):
    response = manager.put(
        f"{CUSTOMERS}/bulk",
        [{"id": "ada", "preferredLanguage": "de"}, {"id": "bob", "preferredLanguage": "en"}],
    )

    assert response.status_code in (200, 207), response.json()
    assert _members() == {("germans", "ada", None)}


def test_api_writes_of_a_legal_entity(manager, rules):
    acme = make_legal_entity(TENANT, "acme", name="Acme")
    make_customer(TENANT, "bob", legal_entities=(acme,))

    assert manager.put(f"{LEGAL_ENTITIES}/acme", {"name": "Big Acme"}).status_code == 204
    assert _members() == {("big", "bob", "acme")}

    assert manager.patch(f"{LEGAL_ENTITIES}/acme", {"name": "Acme"}).status_code == 204
    assert _members() == set()

    response = manager.put(f"{LEGAL_ENTITIES}/bulk", [{"id": "acme", "name": "Big again"}])
    assert response.status_code in (200, 207), response.json()
    assert _members() == {("big", "bob", "acme")}


def test_import_data_of_customers_and_legal_entities(rules, tmp_path):
    entities = write_csv(tmp_path / "le.csv", ["id", "name"], [["acme", "Acme"]])
    customers = write_csv(
        tmp_path / "customers.csv",
        ["id", "preferredLanguage", "legalEntityIds"],
        [["ada", "de", '["acme"]'], ["bob", "en", '["acme"]']],
    )
    assert run_import("legal-entities", entities).ok
    assert run_import("customers", customers).ok
    assert _members() == {("germans", "ada", None)}

    renamed = write_csv(tmp_path / "le2.csv", ["id", "name"], [["acme", "Big Acme"]])
    assert run_import("legal-entities", renamed).ok

    assert _members() == {("germans", "ada", None), ("big", "ada", "acme"), ("big", "bob", "acme")}
