"""The objects that exist before an import are left out of the garbage collector's scans
while it runs (a full collection would rescan them every few chunks), and only then."""

from __future__ import annotations

import gc

import pytest

from segments_project.checkpoints import Checkpoint
from tests.segments.factories import make_customer, make_segment

from . import TENANT, make_tenants, run_import, write_csv

pytestmark = pytest.mark.django_db


def test_older_objects_are_frozen_during_the_import_and_released_after(tmp_path, on_checkpoint):
    make_tenants(TENANT)
    make_segment(TENANT, "gold")
    make_customer(TENANT, "c1")
    make_customer(TENANT, "c2")
    frozen_during: list[int] = []
    on_checkpoint(
        Checkpoint.IMPORT_CHUNK_DONE, lambda number: frozen_during.append(gc.get_freeze_count())
    )
    path = write_csv(
        tmp_path / "members.csv", ["segmentId", "customerId"], [["gold", "c1"], ["gold", "c2"]]
    )
    before = gc.get_freeze_count()

    assert run_import("segment-customers", path, chunk_size=1).ok

    assert len(frozen_during) == 2
    assert min(frozen_during) > before
    assert gc.get_freeze_count() == before
