"""The references of customer assignments (tenant, segment, customer, legal entity), checked
once per statement on PostgreSQL (migration 0011) instead of row by row by foreign keys:
every reference to a missing row is refused, a referenced row cannot be removed while an
assignment names it, and a customer deleted while an evaluation adds it leaves no
assignment behind, whichever goes first."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from segments.models import Customer, LegalEntity, Segment, SegmentCustomerAssignment
from segments.services import directory as services
from segments.services.rule_evaluation import segment_rule_apply
from segments_project.checkpoints import Checkpoint
from segments_project.tenancy.models import Tenant

from ..conftest import TENANT
from .factories import _stamps, assign_customer, make_customer, make_legal_entity, make_segment
from .services.test_exclusions_concurrency import Hold
from .services.test_members_locks import WAIT, Background

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's statement-level checks; SQLite keeps its foreign keys",
)

_MEMBERS = SegmentCustomerAssignment._meta.db_table


def _orphans() -> int:
    """Assignments whose customer, segment, legal entity or tenant is missing."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {_MEMBERS} AS a"
            " LEFT JOIN segments_customer AS c ON c.id = a.customer_id"
            " LEFT JOIN segments_segment AS s ON s.id = a.segment_id"
            " LEFT JOIN segments_legalentity AS le ON le.id = a.legal_entity_id"
            " LEFT JOIN tenancy_tenant AS t ON t.name = a.tenant_id"
            " WHERE c.id IS NULL OR s.id IS NULL OR t.name IS NULL"
            " OR (a.legal_entity_id IS NOT NULL AND le.id IS NULL)"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def member(db) -> SegmentCustomerAssignment:
    segment = make_segment(TENANT, "gold")
    customer = make_customer(TENANT, "ada")
    legal_entity = make_legal_entity(TENANT, "acme")
    return assign_customer(segment, customer, legal_entity)


@pytest.mark.parametrize("column", ["customer_id", "segment_id", "legal_entity_id", "tenant_id"])
def test_an_assignment_referencing_a_missing_row_is_refused(member, column):
    values = {
        "tenant_id": TENANT,
        "segment_id": member.segment_id,
        "customer_id": member.customer_id,
        "legal_entity_id": None,
    }
    values[column] = "nowhere" if column == "tenant_id" else 10**12

    with pytest.raises(IntegrityError, match="violates its reference"), transaction.atomic():
        SegmentCustomerAssignment.objects.create(**values, **_stamps())


def test_a_bulk_insert_with_one_missing_reference_is_refused_whole(member):
    other = make_customer(TENANT, "bob")
    rows = [
        SegmentCustomerAssignment(
            tenant_id=TENANT, segment_id=member.segment_id, customer=other, **_stamps()
        ),
        SegmentCustomerAssignment(
            tenant_id=TENANT, segment_id=member.segment_id, customer_id=10**12, **_stamps()
        ),
    ]

    with pytest.raises(IntegrityError), transaction.atomic():
        SegmentCustomerAssignment.objects.bulk_create(rows)
    assert SegmentCustomerAssignment.objects.count() == 1


def test_an_update_to_a_missing_reference_is_refused_and_others_pass(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        SegmentCustomerAssignment.objects.filter(pk=member.pk).update(customer_id=10**12)

    SegmentCustomerAssignment.objects.filter(pk=member.pk).update(version=5)
    member.save()  # every column written, none changed

    assert SegmentCustomerAssignment.objects.get(pk=member.pk).version == member.version


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Customer, {"public_id": "ada"}),
        (Segment, {"public_id": "gold"}),
        (LegalEntity, {"public_id": "acme"}),
        (Tenant, {"name": TENANT}),
    ],
)
def test_a_referenced_row_cannot_be_deleted_before_its_assignments(member, model, lookup):
    table = model._meta.db_table
    column, value = next(iter(lookup.items()))
    where, params = (
        (f"{column} = %s", [value])
        if model is Tenant
        else (f"tenant_id = %s AND {column} = %s", [TENANT, value])
    )

    with (
        pytest.raises(IntegrityError, match="violates the reference"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)

    assert SegmentCustomerAssignment.objects.filter(pk=member.pk).exists()


def test_a_referenced_key_cannot_change(member):
    with pytest.raises(IntegrityError, match="violates the reference"), transaction.atomic():
        Customer.objects.filter(pk=member.customer_id).update(id=10**12)


def test_the_services_delete_referenced_rows_with_their_assignments(member):
    services.customer_delete(tenant=TENANT, customer_id="ada")

    assert not SegmentCustomerAssignment.objects.exists()
    assert _orphans() == 0


# -- a customer deleted during an evaluation (real connections) ------------------------------


@pytest.fixture
def germans() -> None:
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    for customer_id in ("ada", "bob"):
        make_customer(TENANT, customer_id)
    Customer.objects.update(preferred_language="de")


def _evaluate() -> Any:
    return segment_rule_apply(tenant=TENANT, segment_id="germans")


def _automatic() -> list[str]:
    return sorted(SegmentCustomerAssignment.objects.values_list("customer__public_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_delete_during_an_evaluation_waits_for_it_and_removes_what_it_added(
    germans, on_checkpoint
):
    # The evaluation has inserted ada and bob (and locked them, as a foreign key's check
    # does); ada's delete waits for its commit and then deletes the new membership too.
    hold = Hold(on_checkpoint, Checkpoint.AUTOMATIC_MEMBERS_INSERTED)
    evaluation = Background(_evaluate)
    evaluation.start()
    assert hold.holding.wait(WAIT), "the evaluation never reached its checkpoint"
    delete = Background(lambda: services.customer_delete(tenant=TENANT, customer_id="ada"))
    delete.start()
    time.sleep(0.5)
    assert delete.is_alive(), "the delete did not wait for the evaluation"

    hold.release()
    for thread in (evaluation, delete):
        thread.join(WAIT * 2)
        assert thread.error is None, thread.error

    assert delete.result is True
    assert _automatic() == ["bob"]
    assert _orphans() == 0


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_during_a_delete_fails_whole_and_leaves_no_orphan(germans):
    # The delete has removed ada, uncommitted, when the evaluation starts: its snapshot still
    # sees ada, so it inserts her and its check waits for the delete's row lock; the delete
    # commits, ada's row is gone, and the evaluation fails (rolled back, retried by its job).
    deleted, release = threading.Event(), threading.Event()

    def delete() -> None:
        with transaction.atomic():
            services.customer_delete(tenant=TENANT, customer_id="ada")
            deleted.set()
            assert release.wait(WAIT), "never released"

    deleter = Background(delete)
    deleter.start()
    assert deleted.wait(WAIT), "the delete never ran"
    evaluation = Background(_evaluate)
    evaluation.start()
    time.sleep(0.5)
    assert evaluation.is_alive(), "the evaluation did not wait for the delete"

    release.set()
    for thread in (deleter, evaluation):
        thread.join(WAIT * 2)
    assert deleter.error is None, deleter.error
    assert isinstance(evaluation.error, IntegrityError), evaluation.error
    assert _automatic() == []
    assert _orphans() == 0

    assert _evaluate().added == 1
    assert _automatic() == ["bob"]
