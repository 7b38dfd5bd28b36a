"""Exclusions: PUT/GET/DELETE of one, the list (paging, q), scopes, tenants, and what an
exclusion does to AUTOMATIC and MANUAL members; the member API's AUTOMATIC refusals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Customer, SegmentCustomerAssignment, SegmentExclusion
from segments.services.automatic_members import automatic_members_apply, b2c_matches
from segments_project.audit.models import AuditEvent

from ..conftest import OTHER_TENANT, TENANT
from .factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
EXCLUSIONS = f"{SEGMENTS}/gold/exclusions"
MEMBERS = f"{SEGMENTS}/gold/customers"


@pytest.fixture
def directory(db):
    make_segment(TENANT, "gold")
    acme = make_legal_entity(TENANT, "acme-corp")
    make_customer(TENANT, "c1", legal_entities=(acme,))
    make_customer(TENANT, "c2")
    make_customer(TENANT, "c3")
    make_segment(OTHER_TENANT, "gold")
    make_customer(OTHER_TENANT, "c1")


def _automatic(*ids: str) -> None:
    """The rule matched these customers (B2C), and c1 for acme-corp when c1 is named."""
    customers = Customer.objects.filter(tenant_id=TENANT, public_id__in=ids)
    pairs = b2c_matches(customers).union(
        customers.model.legal_entities.through.objects.filter(customer__in=customers)
        .order_by()
        .values_list("customer_id", "legal_entity_id"),
        all=True,
    )
    automatic_members_apply(tenant=TENANT, segment_id="gold", matched=pairs)


def _members() -> dict[tuple[str, str | None], str]:
    return {
        (customer, legal_entity): kind
        for customer, legal_entity, kind in SegmentCustomerAssignment.objects.filter(
            tenant_id=TENANT, segment__public_id="gold"
        ).values_list("customer__public_id", "legal_entity__public_id", "assignment_type")
    }


def test_put_creates_then_is_idempotent_and_get_answers_the_document(manager, directory):
    created = manager.put(f"{EXCLUSIONS}/c1")
    assert (created.status_code, created.content) == (201, b"")
    assert manager.put(f"{EXCLUSIONS}/c1").status_code == 204

    document = manager.get(f"{EXCLUSIONS}/c1").json()
    assert document["customerId"] == "c1"
    assert document["customer"] == {
        "id": "c1",
        "firstName": "First",
        "lastName": "C1",
        "email": "c1@example.com",
    }
    assert document["metadata"]["createdAt"].endswith("Z")
    assert SegmentExclusion.objects.count() == 1


def test_delete_lifts_the_exclusion_and_is_idempotent(manager, directory):
    manager.put(f"{EXCLUSIONS}/c1")

    assert manager.delete(f"{EXCLUSIONS}/c1").status_code == 204
    assert manager.delete(f"{EXCLUSIONS}/c1").status_code == 204
    missing = manager.get(f"{EXCLUSIONS}/c1")
    assert missing.status_code == 404
    assert "not excluded" in missing.json()["message"]


def test_an_exclusion_removes_automatic_memberships_at_once_never_manual_ones(manager, directory):
    _automatic("c1", "c2")
    manager.put(f"{SEGMENTS}/gold/customers/c3")  # a MANUAL member
    assert _members() == {
        ("c1", None): "AUTOMATIC",
        ("c1", "acme-corp"): "AUTOMATIC",
        ("c2", None): "AUTOMATIC",
        ("c3", None): "MANUAL",
    }

    assert manager.put(f"{EXCLUSIONS}/c1").status_code == 201
    assert manager.put(f"{EXCLUSIONS}/c3").status_code == 201

    assert _members() == {("c2", None): "AUTOMATIC", ("c3", None): "MANUAL"}
    # Evaluation does not bring the excluded customer back; lifting lets the next one.
    _automatic("c1", "c2", "c3")
    assert ("c1", None) not in _members()
    manager.delete(f"{EXCLUSIONS}/c1")
    _automatic("c1", "c2", "c3")
    assert _members()[("c1", None)] == "AUTOMATIC"


def test_the_audit_trail_names_the_exclusion_and_the_memberships_it_removed(manager, directory):
    _automatic("c1")
    manager.put(f"{EXCLUSIONS}/c1")
    manager.delete(f"{EXCLUSIONS}/c1")

    events = set(
        AuditEvent.objects.exclude(action="evaluated").values_list(
            "action", "document_type", "document_id", "segment_id"
        )
    )
    assert events == {
        ("created", "segment_exclusion", "c1", "gold"),
        ("unassigned", "segment_customer_assignment", "c1", "gold"),
        ("unassigned", "segment_customer_assignment", "c1/acme-corp", "gold"),
        ("deleted", "segment_exclusion", "c1", "gold"),
    }


def test_the_list_pages_and_filters_with_q_in_a_fixed_number_of_queries(manager, directory):
    for customer_id in ("c1", "c2", "c3"):
        manager.put(f"{EXCLUSIONS}/{customer_id}")

    listed = manager.get(EXCLUSIONS, headers={"X-Total-Count": "true"})
    assert [entry["customerId"] for entry in listed.json()] == ["c1", "c2", "c3"]
    assert listed["X-Total-Count"] == "3"
    page = manager.get(f"{EXCLUSIONS}?pageSize=2&pageNumber=2")
    assert [entry["customerId"] for entry in page.json()] == ["c3"]
    found = manager.get(f"{EXCLUSIONS}?q=customer.email:c2@example.com")
    assert [entry["customerId"] for entry in found.json()] == ["c2"]
    projected = manager.get(f"{EXCLUSIONS}?fields=customerId&q=customerId:(c1,c3)")
    assert projected.json() == [{"customerId": "c1"}, {"customerId": "c3"}]

    with CaptureQueriesContext(connection) as one:
        manager.get(f"{EXCLUSIONS}?pageSize=1")
    with CaptureQueriesContext(connection) as three:
        manager.get(f"{EXCLUSIONS}?pageSize=3")
    assert len(one) == len(three)


@pytest.mark.parametrize("q", ["unknown:1", "customerId", "metadata.createdAt:yesterday"])
def test_a_bad_q_is_a_400(manager, directory, q):
    response = manager.get(f"{EXCLUSIONS}?q={q}")
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_unknown_customer_is_a_400_and_unknown_segment_a_404(manager, directory):
    unknown = manager.put(f"{EXCLUSIONS}/nobody")
    assert unknown.status_code == 400
    assert unknown.json()["details"][0]["field"] == "customerId"
    for response in (
        manager.put(f"{SEGMENTS}/nothing/exclusions/c1"),
        manager.get(f"{SEGMENTS}/nothing/exclusions"),
        manager.delete(f"{SEGMENTS}/nothing/exclusions/c1"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == 404
    assert not SegmentExclusion.objects.exists()


def test_scopes_as_the_segments_members(reader, directory, manager, anonymous):
    manager.put(f"{EXCLUSIONS}/c1")

    assert reader.get(EXCLUSIONS).status_code == 200
    assert reader.get(f"{EXCLUSIONS}/c1").status_code == 200
    for response in (reader.put(f"{EXCLUSIONS}/c2"), reader.delete(f"{EXCLUSIONS}/c1")):
        assert response.status_code == 403
        assert "missing scope" in str(response.json()["details"])
    assert anonymous.get(EXCLUSIONS).status_code == 401
    assert SegmentExclusion.objects.count() == 1


def test_another_tenants_segment_and_customers_stay_out_of_reach(manager, outsider, directory):
    manager.put(f"{EXCLUSIONS}/c1")

    # The outsider's own tenant has a segment gold and a customer c1: it writes there only.
    assert outsider.get(f"/customer-segment/{OTHER_TENANT}/segments/gold/exclusions").json() == []
    assert outsider.get(EXCLUSIONS).status_code in (401, 403)
    assert outsider.put(f"{EXCLUSIONS}/c2").status_code in (401, 403)
    other = f"/customer-segment/{OTHER_TENANT}/segments/gold/exclusions"
    assert outsider.put(f"{other}/c2").status_code == 400  # c2 is acme's customer
    assert outsider.put(f"{other}/c1").status_code == 201
    assert set(SegmentExclusion.objects.values_list("tenant_id", "customer__tenant_id")) == {
        (TENANT, TENANT),
        (OTHER_TENANT, OTHER_TENANT),
    }


# --- the member API and AUTOMATIC assignments ---------------------------------------------


@pytest.mark.parametrize("path", ["c1", "c1/acme-corp"])
def test_deleting_an_automatic_membership_is_a_409_pointing_to_exclusions(manager, directory, path):
    _automatic("c1")

    refused = manager.delete(f"{MEMBERS}/{path}")

    assert refused.status_code == 409
    assert "exclusions/c1" in refused.json()["message"]
    assert "AUTOMATIC" in refused.json()["message"]
    assert len(_members()) == 2


def test_bulk_delete_refuses_automatic_elements_and_applies_the_others(manager, directory):
    _automatic("c1")
    manager.put(f"{MEMBERS}/c2")

    response = manager.delete(
        f"{MEMBERS}/bulk",
        [
            {"customerId": "c1"},
            {"customerId": "c2"},
            {"customerId": "c1", "legalEntityId": "acme-corp"},
        ],
    )

    assert response.status_code == 207
    assert [entry["code"] for entry in response.json()] == [409, 204, 409]
    assert "exclusions/c1" in response.json()[0]["message"]
    assert _members() == {("c1", None): "AUTOMATIC", ("c1", "acme-corp"): "AUTOMATIC"}


def test_writing_a_manual_membership_over_an_automatic_one_makes_it_manual(manager, directory):
    _automatic("c1")

    assert manager.put(f"{MEMBERS}/c1", {"mixins": {"a": 1}}).status_code == 204
    bulk = manager.put(f"{MEMBERS}/bulk", [{"customerId": "c1", "legalEntityId": "acme-corp"}])

    assert [entry["code"] for entry in bulk.json()] == [204]
    assert _members() == {("c1", None): "MANUAL", ("c1", "acme-corp"): "MANUAL"}
    # Now the rule no longer decides: a non-matching evaluation keeps them.
    _automatic()
    assert len(_members()) == 2


@pytest.mark.parametrize("value", ["AUTOMATIC", "SOMETIMES", 1])
def test_a_client_cannot_write_an_automatic_membership(manager, directory, value):
    single = manager.put(f"{MEMBERS}/c2", {"assignmentType": value})
    bulk = manager.put(f"{MEMBERS}/bulk", [{"customerId": "c3", "assignmentType": value}])

    assert single.status_code == 400
    assert single.json()["details"][0]["field"] == "assignmentType"
    assert [entry["code"] for entry in bulk.json()] == [400]
    assert _members() == {}


def test_a_client_may_send_back_manual(manager, directory):
    assert manager.put(f"{MEMBERS}/c2", {"assignmentType": "MANUAL"}).status_code == 201
    assert _members() == {("c2", None): "MANUAL"}
