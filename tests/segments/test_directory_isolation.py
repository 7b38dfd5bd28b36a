"""Customers and legal entities are visible to and writable by their own tenant's customer
scopes only; another tenant's legal entities cannot be linked."""

from __future__ import annotations

import pytest

from segments.models import Customer, CustomerLegalEntity, LegalEntity
from segments_project.tenancy import scopes

from ..conftest import OTHER_TENANT, TENANT, Caller
from .factories import make_customer, make_legal_entity

pytestmark = pytest.mark.django_db

CUSTOMERS = f"/customer/{TENANT}/customers"
LEGAL_ENTITIES = f"/customer/{TENANT}/legal-entities"

OPERATIONS = [
    ("GET", CUSTOMERS, None),
    ("GET", f"{CUSTOMERS}/alice", None),
    ("PUT", f"{CUSTOMERS}/alice", {"firstName": "Stolen", "legalEntityIds": []}),
    ("PUT", f"{CUSTOMERS}/intruder", {"firstName": "Intruder"}),
    ("PATCH", f"{CUSTOMERS}/alice", [{"op": "replace", "path": "/firstName", "value": "x"}]),
    ("PATCH", f"{CUSTOMERS}/alice", {"legalEntityIds": []}),
    ("DELETE", f"{CUSTOMERS}/alice", None),
    ("PUT", f"{CUSTOMERS}/bulk", [{"id": "alice", "firstName": "x"}, {"id": "intruder"}]),
    ("GET", LEGAL_ENTITIES, None),
    ("GET", f"{LEGAL_ENTITIES}/acme-corp", None),
    ("PUT", f"{LEGAL_ENTITIES}/acme-corp", {"name": "Stolen"}),
    ("PUT", f"{LEGAL_ENTITIES}/intruder", {"name": "Intruder"}),
    ("PATCH", f"{LEGAL_ENTITIES}/acme-corp", {"name": "Stolen"}),
    ("DELETE", f"{LEGAL_ENTITIES}/acme-corp", None),
    ("PUT", f"{LEGAL_ENTITIES}/bulk", [{"id": "acme-corp", "name": "x"}, {"id": "intruder"}]),
]
IDS = [f"{method} {path} {index}" for index, (method, path, _) in enumerate(OPERATIONS)]


def _state() -> tuple[list[dict], list[dict], list[dict]]:
    return (
        list(Customer.objects.order_by("pk").values()),
        list(LegalEntity.objects.order_by("pk").values()),
        list(CustomerLegalEntity.objects.order_by("pk").values()),
    )


@pytest.fixture
def stored(db) -> tuple[list[dict], list[dict], list[dict]]:
    """acme's alice, linked to acme's acme-corp."""
    make_customer(TENANT, "alice", legal_entities=(make_legal_entity(TENANT, "acme-corp"),))
    return _state()


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_another_tenants_token_gets_403_and_changes_nothing(stored, outsider, method, path, body):
    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert response.json()["status"] == "Forbidden"
    assert _state() == stored


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_a_token_without_customer_scopes_gets_403_and_changes_nothing(
    stored, issue_token, method, path, body
):
    coupon_reader = Caller(issue_token(granted=frozenset({scopes.COUPON_READ})))

    response = coupon_reader.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert _state() == stored


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_a_customer_token_gets_403_and_changes_nothing(stored, issue_token, method, path, body):
    alice = Caller(issue_token(customer_id="alice"))

    response = alice.request(method, path, body)

    assert response.status_code == 403
    assert _state() == stored


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_the_other_tenants_own_directory_does_not_mix_with_ours(
    stored, outsider, method, path, body
):
    own_path = path.replace(f"/{TENANT}/", f"/{OTHER_TENANT}/")

    response = outsider.request(method, own_path, body)

    assert response.status_code in {200, 201, 204, 207, 404}
    assert _state()[0][0] == stored[0][0]
    assert _state()[1][0] == stored[1][0]
    assert not Customer.objects.filter(tenant_id=TENANT).exclude(public_id="alice").exists()
    assert not LegalEntity.objects.filter(tenant_id=TENANT).exclude(public_id="acme-corp").exists()
    assert CustomerLegalEntity.objects.filter(tenant_id=TENANT).count() == 1
    if method == "GET" and path in (CUSTOMERS, LEGAL_ENTITIES):
        assert response.json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", CUSTOMERS, None),
        ("GET", f"{CUSTOMERS}/alice", None),
        ("PUT", f"{CUSTOMERS}/alice", {}),
        ("DELETE", f"{CUSTOMERS}/alice", None),
        ("PUT", f"{CUSTOMERS}/bulk", [{"id": "x"}]),
        ("GET", LEGAL_ENTITIES, None),
        ("PATCH", f"{LEGAL_ENTITIES}/acme-corp", {"name": "x"}),
    ],
)
@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "unknown token"])
def test_missing_or_invalid_tokens_are_a_401_fault(stored, method, path, body, token):
    response = Caller(token).request(method, path, body)

    assert response.status_code == 401
    assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"
    assert _state() == stored


def test_a_mismatching_emporix_tenant_header_is_a_400(stored, manager):
    response = manager.get(CUSTOMERS, headers={"Emporix-Tenant": OTHER_TENANT})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "Emporix-Tenant"


def test_legal_entities_of_another_tenant_are_unknown(stored, manager):
    make_legal_entity(OTHER_TENANT, "globex-corp")
    make_legal_entity(OTHER_TENANT, "acme-corp")

    created = manager.put(f"{CUSTOMERS}/bob", {"legalEntityIds": ["globex-corp"]})
    patched = manager.patch(f"{CUSTOMERS}/alice", {"legalEntityIds": ["acme-corp", "globex-corp"]})
    bulk = manager.put(f"{CUSTOMERS}/bulk", [{"id": "bob", "legalEntityIds": ["globex-corp"]}])

    for response in (created, patched):
        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == "legalEntityIds"
        assert "globex-corp" in response.json()["message"]
    assert [entry["code"] for entry in bulk.json()] == [400]
    assert "globex-corp" in bulk.json()[0]["message"]
    assert _state()[0] == stored[0]
    assert _state()[2] == stored[2]


def test_a_link_with_the_same_id_in_both_tenants_joins_our_own_legal_entity(stored, manager):
    theirs = make_legal_entity(OTHER_TENANT, "acme-corp")

    response = manager.put(f"{CUSTOMERS}/bob", {"legalEntityIds": ["acme-corp"]})

    assert response.status_code == 201
    link = CustomerLegalEntity.objects.get(customer__public_id="bob")
    assert (link.tenant_id, link.legal_entity.tenant_id) == (TENANT, TENANT)
    assert link.legal_entity != theirs


def test_q_on_legal_entity_ids_stays_within_the_tenant(stored, manager, outsider):
    theirs = make_legal_entity(OTHER_TENANT, "acme-corp")
    make_customer(OTHER_TENANT, "mallory", legal_entities=(theirs,))

    ours = manager.get(f"{CUSTOMERS}?q=legalEntityIds:acme-corp")
    their_own = outsider.get(f"/customer/{OTHER_TENANT}/customers?q=legalEntityIds:acme-corp")

    assert [customer["id"] for customer in ours.json()] == ["alice"]
    assert [customer["id"] for customer in their_own.json()] == ["mallory"]
