"""A token of another tenant can neither read nor change any segment's members, and the
customer directory of one tenant does not exist for another."""

from __future__ import annotations

import pytest

from segments.models import SegmentCustomerAssignment

from ..conftest import OTHER_TENANT, TENANT
from .factories import assign_customer, make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

MEMBERS = f"/customer-segment/{TENANT}/segments/gold/customers"

OPERATIONS = [
    ("GET", MEMBERS, None),
    ("POST", f"{MEMBERS}/search", {"q": "customerId:c1"}),
    ("GET", f"{MEMBERS}/c1", None),
    ("PUT", f"{MEMBERS}/c1", {"mixins": {"stolen": True}}),
    ("DELETE", f"{MEMBERS}/c1", None),
    ("GET", f"{MEMBERS}/c1/acme-corp", None),
    ("PUT", f"{MEMBERS}/c1/acme-corp", {"mixins": {"stolen": True}}),
    ("DELETE", f"{MEMBERS}/c1/acme-corp", None),
    ("PUT", f"{MEMBERS}/bulk", [{"customerId": "c2", "mixins": {"stolen": True}}]),
    ("DELETE", f"{MEMBERS}/bulk", [{"customerId": "c1"}]),
]
IDS = [f"{method} {path.removeprefix(MEMBERS) or '/'}" for method, path, _ in OPERATIONS]


@pytest.fixture
def stored(db):
    """acme: segment gold with c1 (B2C) and c1 for acme-corp; customer c2 unassigned."""
    gold = make_segment(TENANT, "gold")
    acme_corp = make_legal_entity(TENANT, "acme-corp")
    c1 = make_customer(TENANT, "c1", legal_entities=(acme_corp,))
    make_customer(TENANT, "c2")
    assign_customer(gold, c1)
    assign_customer(gold, c1, acme_corp)


def _state() -> list[dict]:
    return list(SegmentCustomerAssignment.objects.order_by("pk").values())


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_another_tenants_token_gets_403_and_changes_nothing(stored, outsider, method, path, body):
    before = _state()

    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert _state() == before


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_the_same_ids_in_the_other_tenant_reach_nothing_of_ours(
    stored, outsider, method, path, body
):
    """globex has no segment gold: its own token gets 404 there, and acme stays as it was."""
    before = _state()

    response = outsider.request(method, path.replace(f"/{TENANT}/", f"/{OTHER_TENANT}/"), body)

    assert response.status_code == 404
    assert response.json()["resourceId"] == "gold"
    assert _state() == before


@pytest.fixture
def globex_directory(stored):
    """globex has customer g1 for its legal entity g-corp, and its own segment gold."""
    g_corp = make_legal_entity(OTHER_TENANT, "g-corp")
    make_customer(OTHER_TENANT, "g1", legal_entities=(g_corp,))
    make_segment(OTHER_TENANT, "gold")


@pytest.mark.parametrize(
    ("path", "field"),
    [("g1", "customerId"), ("g1/g-corp", "customerId"), ("c2/g-corp", "legalEntityId")],
)
def test_a_customer_or_legal_entity_of_another_tenant_is_unknown(
    globex_directory, manager, path, field
):
    before = _state()

    response = manager.put(f"{MEMBERS}/{path}", {})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field
    assert _state() == before


def test_bulk_elements_naming_another_tenants_directory_are_400s(globex_directory, manager):
    before = _state()

    response = manager.put(
        f"{MEMBERS}/bulk",
        [
            {"customerId": "g1"},
            {"customerId": "g1", "legalEntityId": "g-corp"},
            {"customerId": "c1", "legalEntityId": "g-corp"},
        ],
    )

    assert [entry["code"] for entry in response.json()] == [400, 400, 400]
    assert _state() == before


def test_each_tenant_lists_and_writes_only_its_own_members(globex_directory, manager, outsider):
    globex_members = f"/customer-segment/{OTHER_TENANT}/segments/gold/customers"

    assert outsider.put(f"{globex_members}/g1/g-corp").status_code == 201
    assert outsider.put(f"{globex_members}/c1").status_code == 400  # c1 is acme's

    assert [entry["customer"]["id"] for entry in outsider.get(globex_members).json()] == ["g1"]
    assert [entry["customer"]["id"] for entry in manager.get(MEMBERS).json()] == ["c1", "c1"]
    assert outsider.delete(f"{globex_members}/bulk", [{"customerId": "c1"}]).status_code == 207
    assert SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).count() == 2
