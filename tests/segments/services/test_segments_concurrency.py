"""Two writers holding the same version cannot both succeed (PostgreSQL, real connections)."""

from __future__ import annotations

import pytest
from django.db import connection

from segments.models import Segment
from segments.services import segments as services
from segments_project.checkpoints import Checkpoint
from segments_project.errors import VersionConflict
from segments_project.tenancy.services import tenant_get_or_create

from ...concurrency import run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

WRITERS = 8


def _run_concurrently(work) -> list[object]:
    return run_concurrently(work, WRITERS)


@pytest.fixture
def slow_version_check(pause_at):
    """Widens the gap between reading a segment and writing it, so that a missing row lock
    would let every writer read version 1 before any of them writes."""
    pause_at(Checkpoint.DOCUMENT_VERSION_CHECKED, 0.05)


def test_concurrent_upserts_with_the_same_version_let_exactly_one_win(slow_version_check):
    tenant_get_or_create(name="acme")
    services.segment_create(
        tenant="acme", document={"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}
    )

    def write(index: int):
        return services.segment_upsert(
            tenant="acme",
            segment_id="gold",
            document={
                "name": {"en": f"Writer {index}"},
                "siteCode": "main",
                "metadata": {"version": 1},
            },
        )

    outcomes = _run_concurrently(write)

    winners = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, VersionConflict)]
    assert len(winners) == 1, outcomes
    assert len(conflicts) == WRITERS - 1, outcomes
    stored = Segment.objects.get(public_id="gold")
    assert stored.version == 2
    assert stored.name == winners[0][0].name


def test_concurrent_creates_of_one_id_by_put_yield_one_row():
    tenant_get_or_create(name="acme")

    def write(index: int):
        return services.segment_upsert(
            tenant="acme",
            segment_id="fresh",
            document={"name": {"en": f"Writer {index}"}, "siteCode": "main"},
        )

    outcomes = _run_concurrently(write)

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert sum(1 for _, created in outcomes if created) == 1
    stored = Segment.objects.get(public_id="fresh")
    assert stored.version == WRITERS
