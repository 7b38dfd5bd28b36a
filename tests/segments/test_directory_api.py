"""The customer directory: customers and legal entities, upsert, read, patch, delete, lists,
bulk, the customers' links to legal entities, and what deleting either takes with it."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest
from django.db import connection, connections

from segments.models import Customer, CustomerLegalEntity, LegalEntity, SegmentCustomerAssignment
from segments.services import directory as directory_services
from segments_project.checkpoints import Checkpoint
from segments_project.errors import VersionConflict
from segments_project.tenancy import scopes
from segments_project.tenancy.services import api_client_upsert, tenant_get_or_create

from ..concurrency import run_concurrently
from ..conftest import SECRET, TENANT, Caller
from .factories import (
    NO_PROFILE,
    assign_customer,
    make_customer,
    make_legal_entity,
    make_segment,
)

pytestmark = pytest.mark.django_db

CUSTOMERS = f"/customer/{TENANT}/customers"
CUSTOMERS_BULK = f"{CUSTOMERS}/bulk"
LEGAL_ENTITIES = f"/customer/{TENANT}/legal-entities"
LEGAL_ENTITIES_BULK = f"{LEGAL_ENTITIES}/bulk"

ALICE = {
    "firstName": "Alice",
    "lastName": "Archer",
    "email": "alice@example.com",
    "legalEntityIds": ["beta-corp", "acme-corp"],
    "mixins": {"loyalty": {"tier": "gold"}},
    "metadata": {"mixins": {"loyalty": "https://example.com/schemas/loyalty.json"}},
}
ACME = {
    "name": "Acme Corp",
    "mixins": {"vat": {"id": "DE123"}},
    "metadata": {"mixins": {"vat": "https://example.com/schemas/vat.json"}},
}


@pytest.fixture
def companies(db):
    """Legal entities acme-corp, beta-corp and gamma-corp of the tenant."""
    for legal_entity_id in ("acme-corp", "beta-corp", "gamma-corp"):
        make_legal_entity(TENANT, legal_entity_id)


def _put(caller, url, body, expected=(201, 204)):
    response = caller.put(url, body)
    assert response.status_code in expected, response.json()
    return response


def _links(customer_id: str) -> list[str]:
    return sorted(
        CustomerLegalEntity.objects.filter(customer__public_id=customer_id).values_list(
            "legal_entity__public_id", flat=True
        )
    )


def _customer_state() -> tuple[list[dict], list[dict]]:
    return (
        list(Customer.objects.order_by("pk").values()),
        list(CustomerLegalEntity.objects.order_by("pk").values()),
    )


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [document["id"] for document in response.json()]


def _q(q: str) -> str:
    return urlencode({"q": q})


# --- customers: upsert -----------------------------------------------------------------------


def test_put_creates_a_customer_with_201_and_stores_the_document(manager, companies):
    response = manager.put(f"{CUSTOMERS}/alice", ALICE)

    assert response.status_code == 201
    assert response.json() == {"id": "alice"}
    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert {key: value for key, value in stored.items() if key != "metadata"} == {
        "id": "alice",
        "firstName": "Alice",
        "lastName": "Archer",
        "email": "alice@example.com",
        **NO_PROFILE,
        "legalEntityIds": ["acme-corp", "beta-corp"],
        "mixins": {"loyalty": {"tier": "gold"}},
    }
    assert stored["metadata"]["version"] == 1
    assert stored["metadata"]["mixins"] == ALICE["metadata"]["mixins"]
    assert stored["metadata"]["createdAt"].endswith("Z")
    assert _links("alice") == ["acme-corp", "beta-corp"]


def test_a_minimal_customer_has_empty_names_and_no_links(manager):
    assert _put(manager, f"{CUSTOMERS}/bob", {}).status_code == 201

    stored = manager.get(f"{CUSTOMERS}/bob").json()

    assert (stored["firstName"], stored["lastName"], stored["email"]) == ("", "", "")
    assert stored["legalEntityIds"] == []
    assert "mixins" not in stored


def test_put_updates_with_204_and_bumps_the_version(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.put(
        f"{CUSTOMERS}/alice", {**ALICE, "lastName": "Smith", "metadata": {"version": 1}}
    )

    assert response.status_code == 204
    assert response.content == b""
    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert stored["lastName"] == "Smith"
    assert stored["metadata"]["version"] == 2


def test_put_that_changes_nothing_keeps_the_version(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.put(
        f"{CUSTOMERS}/alice", {**ALICE, "legalEntityIds": ["acme-corp", "beta-corp", "acme-corp"]}
    )

    assert response.status_code == 204
    assert manager.get(f"{CUSTOMERS}/alice").json()["metadata"]["version"] == 1


def test_put_syncs_the_links_and_a_change_of_links_alone_bumps_the_version(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.put(
        f"{CUSTOMERS}/alice", {**ALICE, "legalEntityIds": ["gamma-corp", "acme-corp"]}
    )

    assert response.status_code == 204
    assert _links("alice") == ["acme-corp", "gamma-corp"]
    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert stored["legalEntityIds"] == ["acme-corp", "gamma-corp"]
    assert stored["metadata"]["version"] == 2


def test_a_change_of_fields_and_links_together_bumps_the_version_once(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    _put(manager, f"{CUSTOMERS}/alice", {**ALICE, "firstName": "Alicia", "legalEntityIds": []})

    assert _links("alice") == []
    assert manager.get(f"{CUSTOMERS}/alice").json()["metadata"]["version"] == 2


def test_put_replaces_the_whole_document(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    _put(manager, f"{CUSTOMERS}/alice", {"firstName": "Alice"})

    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert (stored["lastName"], stored["email"], stored["legalEntityIds"]) == ("", "", [])
    assert "mixins" not in stored
    assert "mixins" not in stored["metadata"]


def test_put_with_a_stale_version_is_a_409_and_changes_nothing(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    _put(manager, f"{CUSTOMERS}/alice", {**ALICE, "firstName": "Alicia"})
    before = _customer_state()

    response = manager.put(
        f"{CUSTOMERS}/alice",
        {**ALICE, "legalEntityIds": ["gamma-corp"], "metadata": {"version": 1}},
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["status"], body["resourceId"]) == (409, "Conflict", "alice")
    assert _customer_state() == before


def test_put_with_a_different_id_in_the_body_is_a_400(manager):
    response = manager.put(f"{CUSTOMERS}/alice", {**ALICE, "id": "bob"})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "id"
    assert not Customer.objects.exists()


def test_put_with_an_invalid_id_in_the_path_is_a_400(manager):
    response = manager.put(f"{CUSTOMERS}/has%20space", {})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "id"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"firstName": 5}, "firstName"),
        ({"firstName": ["Alice"]}, "firstName"),
        ({"firstName": "x" * 256}, "firstName"),
        ({"lastName": {"en": "Archer"}}, "lastName"),
        ({"lastName": "x" * 256}, "lastName"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "alice@"}, "email"),
        ({"email": 42}, "email"),
        ({"email": "a" * 310 + "@example.com"}, "email"),
        ({"legalEntityIds": "acme-corp"}, "legalEntityIds"),
        ({"legalEntityIds": {"id": "acme-corp"}}, "legalEntityIds"),
        ({"legalEntityIds": [1]}, "legalEntityIds"),
        ({"legalEntityIds": [None]}, "legalEntityIds"),
        ({"legalEntityIds": ["has space"]}, "legalEntityIds"),
        ({"legalEntityIds": ["x"] * 1001}, "legalEntityIds"),
        ({"mixins": []}, "mixins"),
        ({"mixins": "x"}, "mixins"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"mixins": {"a": 1}}}, "metadata.mixins.a"),
    ],
)
def test_invalid_customers_are_a_400_naming_the_field_and_change_nothing(
    manager, companies, change, field
):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    before = _customer_state()

    created = manager.put(f"{CUSTOMERS}/bob", {**ALICE, **change})
    updated = manager.put(f"{CUSTOMERS}/alice", {**ALICE, **change})

    for response in (created, updated):
        assert response.status_code == 400
        body = response.json()
        assert (body["code"], body["status"]) == (400, "Bad Request")
        assert body["details"][0]["field"] == field
    assert _customer_state() == before


@pytest.mark.parametrize("version", [0, -1, "1", True, 1.5])
def test_put_with_a_malformed_version_is_a_400(manager, companies, version):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    before = _customer_state()

    response = manager.put(f"{CUSTOMERS}/alice", {**ALICE, "metadata": {"version": version}})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "metadata.version"
    assert _customer_state() == before


def test_a_body_that_is_not_an_object_is_a_400(manager):
    response = manager.put(f"{CUSTOMERS}/alice", ["not", "an", "object"])

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "body"
    assert not Customer.objects.exists()


def test_an_unknown_legal_entity_id_is_a_400_naming_it_and_creates_nothing(manager, companies):
    response = manager.put(
        f"{CUSTOMERS}/alice", {**ALICE, "legalEntityIds": ["acme-corp", "nowhere-corp"]}
    )

    assert response.status_code == 400
    body = response.json()
    assert "nowhere-corp" in body["message"]
    assert body["details"][0]["field"] == "legalEntityIds"
    assert "nowhere-corp" in body["details"][0]["message"]
    assert not Customer.objects.exists()
    assert not CustomerLegalEntity.objects.exists()


def test_an_unknown_legal_entity_id_on_update_changes_nothing(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    before = _customer_state()

    response = manager.put(
        f"{CUSTOMERS}/alice",
        {**ALICE, "firstName": "Alicia", "legalEntityIds": ["gamma-corp", "nowhere-corp"]},
    )

    assert response.status_code == 400
    assert "nowhere-corp" in response.json()["message"]
    assert _customer_state() == before


# --- customers: read -------------------------------------------------------------------------


def test_get_of_an_unknown_customer_is_a_404_naming_it(manager):
    response = manager.get(f"{CUSTOMERS}/missing")

    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["status"], body["resourceId"]) == (404, "Not Found", "missing")


def test_get_with_fields_projects_the_answer(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.get(f"{CUSTOMERS}/alice?fields=id,legalEntityIds,metadata.version")

    assert response.json() == {
        "id": "alice",
        "legalEntityIds": ["acme-corp", "beta-corp"],
        "metadata": {"version": 1},
    }


def test_the_customer_read_scope_reads_but_may_not_write(manager, companies, issue_token):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    _put(manager, f"{LEGAL_ENTITIES}/delta-corp", ACME)
    customer_reader = Caller(issue_token(granted=frozenset({scopes.CUSTOMER_READ})))
    before = _customer_state()
    legal_entities = list(LegalEntity.objects.order_by("pk").values())

    assert customer_reader.get(f"{CUSTOMERS}/alice").status_code == 200
    assert _ids(customer_reader.get(CUSTOMERS)) == ["alice"]
    assert customer_reader.get(f"{LEGAL_ENTITIES}/acme-corp").status_code == 200
    assert len(_ids(customer_reader.get(LEGAL_ENTITIES))) == 4
    assert customer_reader.put(f"{CUSTOMERS}/bob", {}).status_code == 403
    assert customer_reader.patch(f"{CUSTOMERS}/alice", {"firstName": "x"}).status_code == 403
    assert customer_reader.delete(f"{CUSTOMERS}/alice").status_code == 403
    assert customer_reader.put(CUSTOMERS_BULK, [{"id": "bob"}]).status_code == 403
    assert customer_reader.put(f"{LEGAL_ENTITIES}/x-corp", ACME).status_code == 403
    assert customer_reader.patch(f"{LEGAL_ENTITIES}/acme-corp", {"name": "x"}).status_code == 403
    assert customer_reader.delete(f"{LEGAL_ENTITIES}/acme-corp").status_code == 403
    assert customer_reader.put(LEGAL_ENTITIES_BULK, [{"id": "x", **ACME}]).status_code == 403
    assert _customer_state() == before
    assert list(LegalEntity.objects.order_by("pk").values()) == legal_entities


# --- customers: patch ------------------------------------------------------------------------


def test_json_patch_changes_fields_and_links(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.patch(
        f"{CUSTOMERS}/alice",
        [
            {"op": "replace", "path": "/firstName", "value": "Alicia"},
            {"op": "remove", "path": "/email"},
            {"op": "add", "path": "/legalEntityIds/-", "value": "gamma-corp"},
            {"op": "remove", "path": "/legalEntityIds/0"},
            {"op": "replace", "path": "/mixins/loyalty/points", "value": 10},
        ],
        content_type="application/json-patch+json",
    )

    assert response.status_code == 204
    assert response.content == b""
    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert (stored["firstName"], stored["email"]) == ("Alicia", "")
    assert stored["legalEntityIds"] == ["beta-corp", "gamma-corp"]
    assert stored["mixins"] == {"loyalty": {"tier": "gold", "points": 10}}
    assert stored["metadata"]["version"] == 2
    assert _links("alice") == ["beta-corp", "gamma-corp"]


def test_merge_patch_changes_only_what_it_names(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.patch(
        f"{CUSTOMERS}/alice",
        {"lastName": "Smith", "email": None, "legalEntityIds": ["gamma-corp"]},
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 204
    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert (stored["firstName"], stored["lastName"], stored["email"]) == ("Alice", "Smith", "")
    assert stored["legalEntityIds"] == ["gamma-corp"]
    assert stored["mixins"] == ALICE["mixins"]
    assert stored["metadata"]["version"] == 2


def test_a_patch_of_the_links_alone_bumps_the_version(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.patch(f"{CUSTOMERS}/alice", {"legalEntityIds": None})

    assert response.status_code == 204
    assert _links("alice") == []
    assert manager.get(f"{CUSTOMERS}/alice").json()["metadata"]["version"] == 2


def test_a_patch_that_changes_nothing_keeps_the_version(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.patch(f"{CUSTOMERS}/alice", {"legalEntityIds": ["beta-corp", "acme-corp"]})

    assert response.status_code == 204
    assert manager.get(f"{CUSTOMERS}/alice").json()["metadata"]["version"] == 1


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "replace", "path": "/email", "value": "not-an-email"}],
        [{"op": "replace", "path": "/firstName", "value": 5}],
        [{"op": "add", "path": "/legalEntityIds/-", "value": "nowhere-corp"}],
        [{"op": "replace", "path": "/legalEntityIds", "value": "acme-corp"}],
        [{"op": "replace", "path": "/id", "value": "other"}],
        [{"op": "add", "path": "/phone", "value": "123"}],
        [{"op": "test", "path": "/firstName", "value": "Bob"}],
        [{"op": "explode", "path": "/firstName"}],
        [{"op": "remove", "path": "/nothing/there"}],
        "not a patch",
        {"email": "alice@"},
        {"legalEntityIds": ["nowhere-corp"]},
        {"mixins": []},
    ],
)
def test_a_patch_that_yields_an_invalid_customer_is_a_400_and_changes_nothing(
    manager, companies, patch
):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    before = _customer_state()

    response = manager.patch(f"{CUSTOMERS}/alice", patch)

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert _customer_state() == before


def test_patch_with_a_stale_version_is_a_409_and_changes_nothing(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)
    manager.patch(f"{CUSTOMERS}/alice", {"firstName": "Alicia"})
    before = _customer_state()

    response = manager.patch(
        f"{CUSTOMERS}/alice", {"legalEntityIds": ["gamma-corp"], "metadata": {"version": 1}}
    )

    assert response.status_code == 409
    assert response.json()["resourceId"] == "alice"
    assert _customer_state() == before


def test_patch_with_the_current_version_is_applied(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    response = manager.patch(
        f"{CUSTOMERS}/alice",
        [
            {"op": "test", "path": "/metadata/version", "value": 1},
            {"op": "replace", "path": "/legalEntityIds", "value": ["gamma-corp"]},
        ],
    )

    assert response.status_code == 204
    assert manager.get(f"{CUSTOMERS}/alice").json()["metadata"]["version"] == 2


def test_patch_of_an_unknown_customer_is_a_404(manager):
    response = manager.patch(f"{CUSTOMERS}/missing", {"firstName": "Nobody"})

    assert response.status_code == 404
    assert response.json()["resourceId"] == "missing"
    assert not Customer.objects.exists()


# --- customers: delete -----------------------------------------------------------------------


def test_delete_removes_the_customer_and_is_idempotent(manager, companies):
    _put(manager, f"{CUSTOMERS}/alice", ALICE)

    first = manager.delete(f"{CUSTOMERS}/alice")
    second = manager.delete(f"{CUSTOMERS}/alice")

    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 204
    assert manager.get(f"{CUSTOMERS}/alice").status_code == 404
    assert not CustomerLegalEntity.objects.exists()
    assert LegalEntity.objects.count() == 3


def test_deleting_a_customer_removes_its_memberships_and_revokes_its_tokens(
    manager, companies, issue_token
):
    acme_corp = LegalEntity.objects.get(public_id="acme-corp")
    alice = make_customer(TENANT, "alice", legal_entities=(acme_corp,))
    bob = make_customer(TENANT, "bob")
    gold = make_segment(TENANT, "gold")
    assign_customer(gold, alice)
    assign_customer(gold, alice, acme_corp)
    kept = assign_customer(gold, bob)
    alice_b2c = Caller(issue_token(customer_id="alice"))
    alice_b2b = Caller(issue_token(customer_id="alice", legal_entity_id="acme-corp"))
    bob_token = Caller(issue_token(customer_id="bob"))
    own_segments = f"/customer-segment/{TENANT}/segments"
    assert alice_b2c.get(own_segments).status_code == 200

    response = manager.delete(f"{CUSTOMERS}/alice")

    assert response.status_code == 204
    assert list(SegmentCustomerAssignment.objects.all()) == [kept]
    for revoked in (alice_b2c, alice_b2b):
        refused = revoked.get(own_segments)
        assert refused.status_code == 401
        assert refused.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"
    assert _ids(bob_token.get(own_segments)) == ["gold"]
    assert manager.get(f"{CUSTOMERS}/bob").status_code == 200


def test_no_customer_token_is_issued_for_a_deleted_customer(manager, client):
    _put(manager, f"{CUSTOMERS}/alice", {})
    manager.delete(f"{CUSTOMERS}/alice")
    api_client_upsert(
        tenant=TENANT,
        client_id="storefront",
        client_secret=SECRET,
        scopes=frozenset({scopes.CUSTOMER_TOKEN_ISSUE}),
    )

    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": "storefront",
            "client_secret": SECRET,
            "customer_id": "alice",
        },
    )

    assert response.status_code == 400
    assert response.json()["message"] == "The customer alice does not exist."


# --- customers: list -------------------------------------------------------------------------


@pytest.fixture
def people(manager, companies):
    """Five customers: c1 and c2 of acme-corp, c2 and c3 of beta-corp, c4 and c5 of none."""
    rows = [
        ("c1", "Ann", "Young", "ann@example.com", ["acme-corp"], {"age": 30}),
        ("c2", "Ben", "Xu", "ben@shop.test", ["acme-corp", "beta-corp"], {"age": 45}),
        ("c3", "Cid", "Wolf", "", ["beta-corp"], {}),
        ("c4", "Ann", "Vance", "ann.v@example.com", [], {"age": 25, "vip": True}),
        ("c5", "Eve", "Uhl", "eve@shop.test", [], {}),
    ]
    for customer_id, first, last, email, legal_entity_ids, mixins in rows:
        body = {
            "firstName": first,
            "lastName": last,
            "email": email,
            "legalEntityIds": legal_entity_ids,
        }
        if mixins:
            body["mixins"] = mixins
        _put(manager, f"{CUSTOMERS}/{customer_id}", body)
    return manager


def test_list_answers_a_plain_array_in_a_stable_order(people):
    response = people.get(CUSTOMERS)

    assert _ids(response) == ["c1", "c2", "c3", "c4", "c5"]
    second = response.json()[1]
    assert second == {
        "id": "c2",
        "firstName": "Ben",
        "lastName": "Xu",
        "email": "ben@shop.test",
        **NO_PROFILE,
        "legalEntityIds": ["acme-corp", "beta-corp"],
        "mixins": {"age": 45},
        "metadata": second["metadata"],
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("id:c2", ["c2"]),
        ("id:(c1,c4)", ["c1", "c4"]),
        ("firstName:Ann", ["c1", "c4"]),
        ("lastName:~^[UV]", ["c4", "c5"]),
        ("email:~shop.test", ["c2", "c5"]),
        ("firstName:Ann email:~example", ["c1", "c4"]),
        ("legalEntityIds:acme-corp", ["c1", "c2"]),
        ("legalEntityIds:beta-corp", ["c2", "c3"]),
        ("legalEntityIds:(acme-corp,beta-corp)", ["c1", "c2", "c3"]),
        ("legalEntityIds:acme-corp legalEntityIds:beta-corp", ["c2"]),
        ("legalEntityIds:~corp", ["c1", "c2", "c3"]),
        ("legalEntityIds:gamma-corp", []),
        ("legalEntityIds:null", ["c4", "c5"]),
        ("legalEntityIds:exists", ["c1", "c2", "c3"]),
        ("legalEntityIds:acme-corp firstName:Ben", ["c2"]),
        ("mixins.age:>=30", ["c1", "c2"]),
        ("mixins.vip:true", ["c4"]),
        ("mixins.age:missing", ["c3", "c5"]),
        ("metadata.version:1", ["c1", "c2", "c3", "c4", "c5"]),
        ('metadata.createdAt:>"2000-01-01T00:00:00Z"', ["c1", "c2", "c3", "c4", "c5"]),
    ],
)
def test_q_filters_customers_by_every_field(people, q, expected):
    assert _ids(people.get(f"{CUSTOMERS}?{_q(q)}")) == expected


def test_a_customer_matching_several_links_is_listed_and_counted_once(people):
    response = people.get(
        f"{CUSTOMERS}?{_q('legalEntityIds:~corp')}&pageSize=2",
        headers={"X-Total-Count": "true"},
    )

    assert _ids(response) == ["c1", "c2"]
    assert response["X-Total-Count"] == "3"


@pytest.mark.parametrize(
    "q", ["unknown:1", "legalEntityId:acme-corp", "name:Ann", "firstName", "id:(a,"]
)
def test_malformed_q_or_unknown_customer_fields_are_a_400(people, q):
    response = people.get(f"{CUSTOMERS}?{_q(q)}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "q"


def test_paging_walks_the_customers_in_stable_order(people):
    pages = [_ids(people.get(f"{CUSTOMERS}?pageSize=2&pageNumber={n}")) for n in (1, 2, 3, 4)]

    assert pages == [["c1", "c2"], ["c3", "c4"], ["c5"], []]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("lastName:asc", ["c5", "c4", "c3", "c2", "c1"]),
        ("firstName:asc,id:desc", ["c4", "c1", "c2", "c3", "c5"]),
        ("email:desc", ["c5", "c2", "c1", "c4", "c3"]),
    ],
)
def test_sort_orders_customers(people, sort, expected):
    assert _ids(people.get(f"{CUSTOMERS}?sort={sort}")) == expected


@pytest.mark.parametrize("sort", ["legalEntityIds:asc", "mixins.age", "name:asc"])
def test_sort_on_links_mixins_or_unknown_fields_is_a_400(people, sort):
    response = people.get(f"{CUSTOMERS}?sort={sort}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "sort"


def test_fields_projects_every_customer(people):
    response = people.get(f"{CUSTOMERS}?fields=id,legalEntityIds&pageSize=2")

    assert response.json() == [
        {"id": "c1", "legalEntityIds": ["acme-corp"]},
        {"id": "c2", "legalEntityIds": ["acme-corp", "beta-corp"]},
    ]


def test_total_count_counts_every_matching_customer(people):
    response = people.get(
        f"{CUSTOMERS}?pageSize=1&{_q('firstName:Ann')}", headers={"X-Total-Count": "true"}
    )

    assert len(response.json()) == 1
    assert response["X-Total-Count"] == "2"
    assert "X-Total-Count" not in people.get(CUSTOMERS)


@pytest.mark.parametrize(
    "q", [None, "legalEntityIds:(acme-corp,beta-corp) firstName:~i", "mixins.n:>=0"]
)
def test_customer_lists_take_a_constant_number_of_queries(
    manager, companies, django_assert_max_num_queries, q
):
    legal_entities = list(LegalEntity.objects.order_by("pk"))
    for index in range(40):
        make_customer(TENANT, f"bulk{index:02d}", legal_entities=tuple(legal_entities[: index % 4]))
    Customer.objects.update(mixins={"n": 1})
    query = f"&{_q(q)}" if q else ""

    # token lookup + page + legal entity ids of the page + count
    with django_assert_max_num_queries(4):
        response = manager.get(
            f"{CUSTOMERS}?pageSize=100&sort=lastName:desc{query}",
            headers={"X-Total-Count": "true"},
        )

    assert response.status_code == 200
    assert len(response.json()) == int(response["X-Total-Count"]) > 0
    with_links = [document for document in response.json() if document["legalEntityIds"]]
    assert with_links


def test_get_of_a_customer_takes_a_constant_number_of_queries(
    manager, companies, django_assert_max_num_queries
):
    make_customer(TENANT, "alice", legal_entities=tuple(LegalEntity.objects.all()))

    with django_assert_max_num_queries(3):
        response = manager.get(f"{CUSTOMERS}/alice")

    assert len(response.json()["legalEntityIds"]) == 3


# --- customers: bulk -------------------------------------------------------------------------


def test_customer_bulk_upsert_reports_each_element_in_order_and_applies_the_valid_ones(
    manager, companies
):
    _put(manager, CUSTOMERS_BULK, [{"id": "a"}, {"id": "b"}], expected=(207,))

    response = manager.put(
        CUSTOMERS_BULK,
        [
            {"id": "a", "firstName": "Ann", "legalEntityIds": ["acme-corp"]},
            {"id": "b", "firstName": "Ben", "metadata": {"version": 7}},
            {"id": "c", "legalEntityIds": ["nowhere-corp"]},
            {"id": "d", "email": "broken"},
            {"firstName": "No id"},
            42,
            {"id": "bad id"},
            {"id": "e", "legalEntityIds": ["beta-corp"]},
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["index"] for entry in entries] == list(range(8))
    assert [entry["code"] for entry in entries] == [204, 409, 400, 400, 400, 400, 400, 201]
    assert entries[0] == {"index": 0, "id": "a", "code": 204, "status": "No Content"}
    assert (entries[1]["id"], entries[1]["status"]) == ("b", "Conflict")
    assert entries[2]["id"] == "c"
    assert "nowhere-corp" in entries[2]["message"]
    assert "email" in entries[3]["message"]
    assert "id" in entries[4]["message"]
    assert entries[7] == {"index": 7, "id": "e", "code": 201, "status": "Created"}
    assert dict(Customer.objects.values_list("public_id", "first_name")) == {
        "a": "Ann",
        "b": "",
        "e": "",
    }
    assert (_links("a"), _links("b"), _links("e")) == (["acme-corp"], [], ["beta-corp"])


def test_more_than_200_customers_are_a_400_and_nothing_is_applied(manager):
    response = manager.put(CUSTOMERS_BULK, [{"id": f"c{index}"} for index in range(201)])

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert not Customer.objects.exists()


def test_exactly_200_customers_are_accepted(manager):
    response = manager.put(CUSTOMERS_BULK, [{"id": f"c{index}"} for index in range(200)])

    assert response.status_code == 207
    assert {entry["code"] for entry in response.json()} == {201}
    assert Customer.objects.count() == 200


@pytest.mark.parametrize("body", [{"id": "a"}, "a", None])
def test_a_customer_bulk_body_that_is_not_an_array_is_a_400(manager, body):
    response = manager.put(CUSTOMERS_BULK, body)

    assert response.status_code == 400
    assert not Customer.objects.exists()


# --- legal entities --------------------------------------------------------------------------


def test_put_creates_a_legal_entity_with_201_then_updates_it_with_204(manager):
    created = manager.put(f"{LEGAL_ENTITIES}/acme-corp", ACME)
    updated = manager.put(
        f"{LEGAL_ENTITIES}/acme-corp", {**ACME, "name": "Acme Inc", "metadata": {"version": 1}}
    )

    assert (created.status_code, created.json()) == (201, {"id": "acme-corp"})
    assert (updated.status_code, updated.content) == (204, b"")
    stored = manager.get(f"{LEGAL_ENTITIES}/acme-corp").json()
    assert {key: value for key, value in stored.items() if key != "metadata"} == {
        "id": "acme-corp",
        "name": "Acme Inc",
        "mixins": {"vat": {"id": "DE123"}},
    }
    assert stored["metadata"]["version"] == 2
    assert "mixins" not in stored["metadata"]


def test_a_legal_entity_put_that_changes_nothing_keeps_the_version(manager):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)

    assert manager.put(f"{LEGAL_ENTITIES}/acme-corp", ACME).status_code == 204
    assert manager.get(f"{LEGAL_ENTITIES}/acme-corp").json()["metadata"]["version"] == 1


def test_legal_entity_put_with_a_stale_version_is_a_409_and_changes_nothing(manager):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", {**ACME, "name": "Acme Inc"})

    response = manager.put(
        f"{LEGAL_ENTITIES}/acme-corp", {**ACME, "name": "Stale", "metadata": {"version": 1}}
    )

    assert response.status_code == 409
    assert response.json()["resourceId"] == "acme-corp"
    assert LegalEntity.objects.get().name == "Acme Inc"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 5}, "name"),
        ({"name": {"en": "Acme"}}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"mixins": []}, "mixins"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"mixins": {"vat": 1}}}, "metadata.mixins.vat"),
        ({"id": "other"}, "id"),
    ],
)
def test_invalid_legal_entities_are_a_400_naming_the_field_and_change_nothing(
    manager, change, field
):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)
    before = list(LegalEntity.objects.values())

    created = manager.put(f"{LEGAL_ENTITIES}/beta-corp", {**ACME, **change})
    updated = manager.put(f"{LEGAL_ENTITIES}/acme-corp", {**ACME, **change})

    for response in (created, updated):
        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == field
    assert list(LegalEntity.objects.values()) == before


def test_a_legal_entity_without_a_name_is_a_400_required(manager):
    response = manager.put(f"{LEGAL_ENTITIES}/acme-corp", {})

    assert response.status_code == 400
    assert response.json()["details"][0] == {
        "field": "name",
        "type": "required",
        "message": "name is required.",
    }


def test_get_of_an_unknown_legal_entity_is_a_404_naming_it(manager):
    response = manager.get(f"{LEGAL_ENTITIES}/missing")

    assert response.status_code == 404
    assert response.json()["resourceId"] == "missing"


def test_get_of_a_legal_entity_with_fields_projects_the_answer(manager):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)

    response = manager.get(f"{LEGAL_ENTITIES}/acme-corp?fields=name,metadata.mixins")

    assert response.json() == {
        "name": "Acme Corp",
        "metadata": {"mixins": ACME["metadata"]["mixins"]},
    }


def test_legal_entity_json_patch_and_merge_patch(manager):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)
    url = f"{LEGAL_ENTITIES}/acme-corp"

    json_patch = manager.patch(
        url,
        [
            {"op": "replace", "path": "/name", "value": "Acme Inc"},
            {"op": "add", "path": "/mixins/vat/country", "value": "DE"},
        ],
        content_type="application/json-patch+json",
    )
    merge_patch = manager.patch(url, {"mixins": {"vat": {"id": None}}})

    assert (json_patch.status_code, merge_patch.status_code) == (204, 204)
    stored = manager.get(url).json()
    assert stored["name"] == "Acme Inc"
    assert stored["mixins"] == {"vat": {"country": "DE"}}
    assert stored["metadata"]["version"] == 3


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "remove", "path": "/name"}],
        [{"op": "replace", "path": "/name", "value": 7}],
        [{"op": "add", "path": "/legalEntityIds", "value": []}],
        {"name": None},
        {"id": "other"},
        "not a patch",
    ],
)
def test_a_patch_that_yields_an_invalid_legal_entity_is_a_400(manager, patch):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)
    before = list(LegalEntity.objects.values())

    response = manager.patch(f"{LEGAL_ENTITIES}/acme-corp", patch)

    assert response.status_code == 400
    assert list(LegalEntity.objects.values()) == before


def test_legal_entity_patch_with_a_stale_version_is_a_409(manager):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)
    manager.patch(f"{LEGAL_ENTITIES}/acme-corp", {"name": "Acme Inc"})

    response = manager.patch(
        f"{LEGAL_ENTITIES}/acme-corp", {"name": "Stale", "metadata": {"version": 1}}
    )

    assert response.status_code == 409
    assert LegalEntity.objects.get().name == "Acme Inc"


def test_patch_of_an_unknown_legal_entity_is_a_404(manager):
    response = manager.patch(f"{LEGAL_ENTITIES}/missing", {"name": "Nobody"})

    assert response.status_code == 404
    assert response.json()["resourceId"] == "missing"
    assert not LegalEntity.objects.exists()


def test_deleting_a_legal_entity_is_idempotent(manager):
    _put(manager, f"{LEGAL_ENTITIES}/acme-corp", ACME)

    first = manager.delete(f"{LEGAL_ENTITIES}/acme-corp")
    second = manager.delete(f"{LEGAL_ENTITIES}/acme-corp")

    assert (first.status_code, first.content, second.status_code) == (204, b"", 204)
    assert manager.get(f"{LEGAL_ENTITIES}/acme-corp").status_code == 404


def test_deleting_a_legal_entity_removes_its_links_and_b2b_memberships_only(manager, companies):
    acme_corp, beta_corp = LegalEntity.objects.filter(public_id__in=["acme-corp", "beta-corp"])
    alice = make_customer(TENANT, "alice", legal_entities=(acme_corp, beta_corp))
    gold = make_segment(TENANT, "gold")
    b2c = assign_customer(gold, alice)
    b2b_beta = assign_customer(gold, alice, beta_corp)
    assign_customer(gold, alice, acme_corp)

    response = manager.delete(f"{LEGAL_ENTITIES}/acme-corp")

    assert response.status_code == 204
    assert set(SegmentCustomerAssignment.objects.all()) == {b2c, b2b_beta}
    assert _links("alice") == ["beta-corp"]
    stored = manager.get(f"{CUSTOMERS}/alice").json()
    assert stored["legalEntityIds"] == ["beta-corp"]
    assert Customer.objects.filter(public_id="alice").exists()


def test_a_customer_token_for_a_deleted_legal_entity_sees_no_b2b_segments(
    manager, companies, issue_token
):
    acme_corp = LegalEntity.objects.get(public_id="acme-corp")
    alice = make_customer(TENANT, "alice", legal_entities=(acme_corp,))
    assign_customer(make_segment(TENANT, "b2b"), alice, acme_corp)
    token = Caller(issue_token(customer_id="alice", legal_entity_id="acme-corp"))
    own_segments = f"/customer-segment/{TENANT}/segments"
    assert _ids(token.get(own_segments)) == ["b2b"]

    manager.delete(f"{LEGAL_ENTITIES}/acme-corp")

    assert _ids(token.get(own_segments)) == []


@pytest.fixture
def firms(manager):
    for legal_entity_id, name, mixins in [
        ("l1", "Acme Corp", {"size": 10}),
        ("l2", "Beta GmbH", {"size": 200}),
        ("l3", "Acme Labs", {}),
    ]:
        body = {"name": name, **({"mixins": mixins} if mixins else {})}
        _put(manager, f"{LEGAL_ENTITIES}/{legal_entity_id}", body)
    return manager


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("id:l2", ["l2"]),
        ("id:(l1,l3)", ["l1", "l3"]),
        ('name:"Acme Corp"', ["l1"]),
        ("name:~^Acme", ["l1", "l3"]),
        ("mixins.size:>50", ["l2"]),
        ("mixins.size:missing", ["l3"]),
        ("metadata.version:1", ["l1", "l2", "l3"]),
    ],
)
def test_q_filters_legal_entities(firms, q, expected):
    assert _ids(firms.get(f"{LEGAL_ENTITIES}?{_q(q)}")) == expected


@pytest.mark.parametrize("q", ["firstName:Ann", "legalEntityIds:l1", "name.en:Acme", "name:"])
def test_unknown_or_malformed_legal_entity_queries_are_a_400(firms, q):
    response = firms.get(f"{LEGAL_ENTITIES}?{_q(q)}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "q"


def test_legal_entity_lists_sort_page_project_and_count(firms):
    response = firms.get(
        f"{LEGAL_ENTITIES}?sort=name:desc&pageSize=2&fields=id,name",
        headers={"X-Total-Count": "true"},
    )
    last_page = firms.get(f"{LEGAL_ENTITIES}?sort=name:desc&pageSize=2&pageNumber=2")

    assert response.json() == [{"id": "l2", "name": "Beta GmbH"}, {"id": "l3", "name": "Acme Labs"}]
    assert response["X-Total-Count"] == "3"
    assert _ids(last_page) == ["l1"]


def test_legal_entity_lists_take_a_constant_number_of_queries(
    manager, django_assert_max_num_queries
):
    for index in range(30):
        make_legal_entity(TENANT, f"l{index:02d}")

    with django_assert_max_num_queries(3):
        response = manager.get(
            f"{LEGAL_ENTITIES}?pageSize=100&{_q('name:~Company')}",
            headers={"X-Total-Count": "true"},
        )

    assert response["X-Total-Count"] == "30"


def test_legal_entity_bulk_upsert_reports_each_element(manager):
    _put(manager, f"{LEGAL_ENTITIES}/l1", ACME)

    response = manager.put(
        LEGAL_ENTITIES_BULK,
        [
            {"id": "l1", "name": "Acme Inc", "metadata": {"version": 1}},
            {"id": "l2", "name": "Beta"},
            {"id": "l3"},
            {"name": "No id"},
            {"id": "l1", "name": "Stale", "metadata": {"version": 1}},
            "l4",
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [(entry["index"], entry["code"]) for entry in entries] == [
        (0, 204),
        (1, 201),
        (2, 400),
        (3, 400),
        (4, 409),
        (5, 400),
    ]
    assert [entry["status"] for entry in entries[:2]] == ["No Content", "Created"]
    assert entries[1]["id"] == "l2"
    assert "name" in entries[2]["message"]
    assert dict(LegalEntity.objects.values_list("public_id", "name")) == {
        "l1": "Acme Inc",
        "l2": "Beta",
    }


def test_more_than_200_legal_entities_are_a_400(manager):
    response = manager.put(
        LEGAL_ENTITIES_BULK, [{"id": f"l{index}", "name": "L"} for index in range(201)]
    )

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert not LegalEntity.objects.exists()


# --- storefront caches -----------------------------------------------------------------------


def test_every_customer_write_marks_that_customers_answers_stale(
    manager, companies, django_capture_on_commit_callbacks, published
):
    writes = [
        (lambda: manager.put(f"{CUSTOMERS}/alice", ALICE), {"c:alice"}),
        (
            lambda: manager.patch(f"{CUSTOMERS}/alice", {"legalEntityIds": ["acme-corp"]}),
            {"c:alice"},
        ),
        (lambda: manager.delete(f"{CUSTOMERS}/alice"), {"c:alice"}),
        # No answer shows a legal entity's own fields.
        (lambda: manager.put(f"{LEGAL_ENTITIES}/delta-corp", ACME), set()),
        (lambda: manager.patch(f"{LEGAL_ENTITIES}/delta-corp", {"name": "Delta"}), set()),
        (
            lambda: manager.put(f"{CUSTOMERS}/bob", {**ALICE, "legalEntityIds": ["delta-corp"]}),
            {"c:bob"},
        ),
        # Its customers' links go with it.
        (lambda: manager.delete(f"{LEGAL_ENTITIES}/delta-corp"), {"c:bob"}),
    ]
    for write, keys in writes:
        published.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert write().status_code in (201, 204)
        if keys is not None:
            assert {key for _, marked in published for key in marked} == keys


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)
def test_a_legal_entity_deleted_while_a_customer_links_it_waits_for_the_link(on_checkpoint):
    tenant_get_or_create(name=TENANT)
    directory_services.legal_entity_upsert(
        tenant=TENANT, legal_entity_id="acme-corp", document={"name": "Acme Corp"}
    )
    linking = threading.Event()

    def sync_after_a_pause(**_):
        # The legal entity is locked by now; without that lock the delete below would
        # commit during the pause and the link's insert would break its foreign key.
        linking.set()
        time.sleep(0.2)

    on_checkpoint(Checkpoint.CUSTOMER_LINKS_SYNCING, sync_after_a_pause)
    outcomes: dict[str, object] = {}

    def link() -> None:
        try:
            outcomes["link"] = directory_services.customer_upsert(
                tenant=TENANT, customer_id="alice", document={"legalEntityIds": ["acme-corp"]}
            )
        except Exception as exc:  # collected and asserted on below
            outcomes["link"] = exc
        finally:
            connections.close_all()

    def delete() -> None:
        try:
            linking.wait(5)
            outcomes["delete"] = directory_services.legal_entity_delete(
                tenant=TENANT, legal_entity_id="acme-corp"
            )
        except Exception as exc:  # collected and asserted on below
            outcomes["delete"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=link), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert isinstance(outcomes["link"], tuple), outcomes
    assert outcomes["delete"] is True, outcomes
    assert Customer.objects.filter(public_id="alice").exists()
    assert not LegalEntity.objects.exists()
    assert not CustomerLegalEntity.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)
def test_concurrent_link_changes_with_the_same_version_let_exactly_one_win(pause_at):
    writers = 4
    tenant_get_or_create(name=TENANT)
    for index in range(writers):
        make_legal_entity(TENANT, f"corp{index}")
    directory_services.customer_upsert(tenant=TENANT, customer_id="alice", document={})
    # Without the row lock every writer would read version 1 before any of them writes.
    pause_at(Checkpoint.CUSTOMER_VERSION_CHECKED, 0.05)
    outcomes = run_concurrently(
        lambda index: directory_services.customer_upsert(
            tenant=TENANT,
            customer_id="alice",
            document={"legalEntityIds": [f"corp{index}"], "metadata": {"version": 1}},
        ),
        writers,
    )

    winners = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, tuple)]
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, VersionConflict)]
    assert (len(winners), len(conflicts)) == (1, writers - 1), outcomes
    assert Customer.objects.get(public_id="alice").version == 2
    assert _links("alice") == [f"corp{winners[0]}"]
