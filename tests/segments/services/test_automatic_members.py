"""AUTOMATIC members: `automatic_members_apply` against MANUAL members and exclusions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Customer, SegmentCustomerAssignment
from segments.services import members as member_services
from segments.services.automatic_members import automatic_members_apply, b2c_matches
from segments.services.exclusions import exclusion_put
from segments_project.audit.models import AuditEvent
from segments_project.errors import NotFound
from segments_project.events.models import OutboxEntry

from ...conftest import OTHER_TENANT, TENANT
from ..factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(db):
    make_segment(TENANT, "gold")
    make_segment(TENANT, "silver")
    acme = make_legal_entity(TENANT, "acme-corp")
    for customer_id in ("c1", "c2", "c3", "c4"):
        make_customer(TENANT, customer_id, legal_entities=(acme,) if customer_id == "c4" else ())


def _members(segment_id: str = "gold") -> dict[tuple[str, str | None], str]:
    return {
        (customer, legal_entity): kind
        for customer, legal_entity, kind in SegmentCustomerAssignment.objects.filter(
            segment__public_id=segment_id
        ).values_list("customer__public_id", "legal_entity__public_id", "assignment_type")
    }


def _customers(*ids: str):
    return b2c_matches(Customer.objects.filter(tenant_id=TENANT, public_id__in=ids))


def _apply(*ids: str, segment_id: str = "gold"):
    return automatic_members_apply(tenant=TENANT, segment_id=segment_id, matched=_customers(*ids))


def test_matched_customers_become_automatic_members_and_unmatched_ones_leave(directory):
    applied = _apply("c1", "c2")

    assert (applied.added, applied.removed) == (2, 0)
    assert _members() == {("c1", None): "AUTOMATIC", ("c2", None): "AUTOMATIC"}
    assert _members("silver") == {}

    applied = _apply("c2", "c3")

    assert (applied.added, applied.removed) == (1, 1)
    assert (applied.added_sample, applied.removed_sample) == (["c3"], ["c1"])
    assert _members() == {("c2", None): "AUTOMATIC", ("c3", None): "AUTOMATIC"}


def test_applying_the_same_matches_again_changes_nothing(directory):
    _apply("c1", "c2")
    before = list(SegmentCustomerAssignment.objects.order_by("pk").values())

    applied = _apply("c1", "c2")

    assert (applied.added, applied.removed) == (0, 0)
    assert list(SegmentCustomerAssignment.objects.order_by("pk").values()) == before


def test_a_manual_member_who_matches_stays_one_manual_member_and_is_never_removed(directory):
    member_services.customer_assignment_upsert(tenant=TENANT, segment_id="gold", customer_id="c1")

    _apply("c1", "c2")
    assert _members() == {("c1", None): "MANUAL", ("c2", None): "AUTOMATIC"}

    _apply()
    assert _members() == {("c1", None): "MANUAL"}


def test_excluded_customers_are_never_added_and_are_removed_if_present(directory):
    exclusion_put(tenant=TENANT, segment_id="gold", customer_id="c2")
    _apply("c1", "c2")
    assert _members() == {("c1", None): "AUTOMATIC"}

    # A row that slipped in (e.g. written by SQL) goes at the next application.
    SegmentCustomerAssignment.objects.create(
        tenant_id=TENANT,
        segment_id=SegmentCustomerAssignment.objects.get().segment_id,
        customer=Customer.objects.get(public_id="c2"),
        assignment_type="AUTOMATIC",
        created_at="2026-01-01T00:00:00Z",
        modified_at="2026-01-01T00:00:00Z",
    )
    applied = _apply("c1", "c2")
    assert (applied.added, applied.removed) == (0, 1)
    assert _members() == {("c1", None): "AUTOMATIC"}


def test_b2b_pairs_are_members_for_their_legal_entity(directory):
    c4 = Customer.objects.get(public_id="c4")
    pairs = c4.legal_entities.through.objects.filter(customer=c4).values_list(
        "customer_id", "legal_entity_id"
    )

    applied = automatic_members_apply(tenant=TENANT, segment_id="gold", matched=pairs)

    assert applied.added_sample == ["c4/acme-corp"]
    assert _members() == {("c4", "acme-corp"): "AUTOMATIC"}
    # The B2C pair of the same customer is another member.
    _apply("c4")
    assert _members() == {("c4", None): "AUTOMATIC"}


def test_one_insert_and_one_delete_whatever_the_number_of_customers(directory):
    for index in range(30):
        make_customer(TENANT, f"bulk{index}")
    everyone = Customer.objects.filter(tenant_id=TENANT)

    with CaptureQueriesContext(connection) as queries:
        automatic_members_apply(tenant=TENANT, segment_id="gold", matched=b2c_matches(everyone))

    outbox = OutboxEntry._meta.db_table
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().startswith("WITH") and f'INTO "{outbox}"' not in q["sql"]
    ]
    assert len(writes) == 2
    assert SegmentCustomerAssignment.objects.count() == 34
    # ... plus the audit row with the events' outbox row (on PostgreSQL one statement;
    # SQLite: two). On PostgreSQL the two statements return the members' public ids;
    # SQLite reads them in a query of their own.
    assert len(queries) == (6 if connection.vendor == "postgresql" else 8)


def test_one_audit_event_per_application_with_counts_and_samples(directory):
    for index in range(12):
        make_customer(TENANT, f"n{index:02}")

    _apply(*[f"n{index:02}" for index in range(12)])
    _apply("c1")

    events = list(
        AuditEvent.objects.filter(action="evaluated")
        .order_by("id")
        .values("document_type", "document_id", "segment_id", "changes")
    )
    assert [event["changes"]["added"] for event in events] == [12, 1]
    assert events[0]["changes"]["addedSample"] == [f"n{index:02}" for index in range(10)]
    assert events[1]["changes"]["removed"] == 12
    assert len(events[1]["changes"]["removedSample"]) == 10
    assert {(e["document_type"], e["document_id"], e["segment_id"]) for e in events} == {
        ("segment", "gold", "gold")
    }
    assert events[0]["changes"]["source"] == "criteria"


def test_a_change_makes_the_storefront_caches_stale_and_no_change_does_not(
    directory, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        _apply()
    assert published == []
    with django_capture_on_commit_callbacks(execute=True):
        _apply("c1")
    # The answers of the customer that joined, no one else's.
    assert published == [(TENANT, frozenset({"c:c1"}))]


def test_a_segment_of_another_tenant_is_not_found(directory):
    make_segment(OTHER_TENANT, "theirs")
    with pytest.raises(NotFound):
        _apply("c1", segment_id="theirs")
    assert not SegmentCustomerAssignment.objects.exists()
