"""The lock a customer write takes on its tenant's rule segments (PostgreSQL, real
connections): the segments' advisory locks, shared. Writers of a rule segment's members
(which hold the same lock exclusively) wait for it; nothing else does, since it writes
nothing to the segment rows."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from segments.models import Segment, SegmentCustomerAssignment
from segments.services.exclusions import exclusion_put
from segments.services.members import customer_assignment_upsert
from segments.services.write_evaluation import rule_segments_locked
from segments_project.checkpoints import Checkpoint
from segments_project.db.sql import SEGMENT_LOCK_STRIPES

from ...conftest import TENANT
from ...imports import run_import, write_csv
from ..factories import make_segment
from .test_exclusions_concurrency import Hold
from .test_write_evaluation_concurrency import _race, _speaks, directory  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]


def test_a_customer_write_does_not_lock_the_rule_segment_rows(directory, on_checkpoint):  # noqa: F811
    hold = Hold(on_checkpoint, Checkpoint.CUSTOMER_VERSION_CHECKED)

    def rename() -> int:
        return Segment.objects.filter(public_id="germans").update(site_code="other")

    _race(_speaks("ada", "en"), rename, hold, waits=False)

    assert Segment.objects.get(public_id="germans").site_code == "other"


def test_an_exclusion_waits_for_a_customer_write_evaluating_its_rule(directory, on_checkpoint):  # noqa: F811
    # The write adds cy to `germans` from a snapshot the exclusion cannot see: the exclusion
    # waits for it, then removes the member it made.
    hold = Hold(on_checkpoint, Checkpoint.WRITTEN_CUSTOMERS_EVALUATED)

    def exclude() -> object:
        return exclusion_put(tenant=TENANT, segment_id="germans", customer_id="cy")

    _race(_speaks("cy", "de"), exclude, hold, waits=True)

    assert not SegmentCustomerAssignment.objects.filter(customer__public_id="cy").exists()


def test_an_import_of_members_waits_for_a_customer_write_evaluating_its_rule(
    directory,  # noqa: F811
    on_checkpoint,
    tmp_path,
):
    # The import adds cy as a member of `germans` while the write evaluates her.
    path = write_csv(
        tmp_path / "members.csv",
        ["segmentId", "customerId", "legalEntityId"],
        [["germans", "cy", ""]],
    )
    hold = Hold(on_checkpoint, Checkpoint.WRITTEN_CUSTOMERS_EVALUATED)

    _race(_speaks("cy", "de"), lambda: run_import("segment-customers", path), hold, waits=True)

    # One member, whichever way the import treats the AUTOMATIC one it found.
    assert SegmentCustomerAssignment.objects.filter(customer__public_id="cy").count() == 1


def test_a_member_write_of_a_segment_without_a_rule_does_not_wait(directory, on_checkpoint):  # noqa: F811
    make_segment(TENANT, "manual-only")
    hold = Hold(on_checkpoint, Checkpoint.WRITTEN_CUSTOMERS_EVALUATED)

    def add_member() -> object:
        return customer_assignment_upsert(
            tenant=TENANT, segment_id="manual-only", customer_id="bob"
        )

    _race(_speaks("cy", "de"), add_member, hold, waits=False)

    assert SegmentCustomerAssignment.objects.filter(segment__public_id="manual-only").count() == 1


def test_a_customer_write_holds_one_lock_per_stripe_whatever_the_number_of_rules(directory):  # noqa: F811
    for number in range(3 * SEGMENT_LOCK_STRIPES):
        make_segment(TENANT, f"rule-{number}", criteria={"q": f"mixins.n:{number}"})

    with transaction.atomic():
        rules = rule_segments_locked(tenant=TENANT)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid() AND mode = 'ShareLock'"
            )
            (held,) = cursor.fetchone()

    assert len(rules) == 3 * SEGMENT_LOCK_STRIPES + 1
    assert held == SEGMENT_LOCK_STRIPES
