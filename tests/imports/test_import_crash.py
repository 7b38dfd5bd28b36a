"""A crash between chunks leaves committed, consistent chunks; the same file run again
completes the import as if nothing had happened. Storefront caches hear of every commit."""

from __future__ import annotations

import json

import pytest

from catalog.models import Category
from segments.models import SegmentCustomerAssignment
from segments_project.checkpoints import Checkpoint
from tests.segments.factories import make_customer, make_segment

from . import OTHER_TENANT, TENANT, make_tenants, run_export, run_import, write_csv

pytestmark = pytest.mark.django_db(transaction=True)


class Crash(Exception):
    pass


class CrashAfterFirstChunk:
    """Crashes an import right after its first chunk committed, until `undo()`."""

    def __init__(self) -> None:
        self.armed = True

    def __call__(self, number: int) -> None:
        if self.armed and number == 1:
            raise Crash(f"simulated crash after chunk {number}")

    def undo(self) -> None:
        self.armed = False


@pytest.fixture
def crash_after_first_chunk(on_checkpoint):
    crash = CrashAfterFirstChunk()
    on_checkpoint(Checkpoint.IMPORT_CHUNK_DONE, crash)
    return crash


def _members_file(tmp_path, tenant: str):
    make_tenants(tenant)
    for segment in ("gold", "silver"):
        make_segment(tenant, segment)
    rows = []
    for number in range(7):
        customer = f"c{number}"
        make_customer(tenant, customer)
        rows.append(["gold", customer, "", json.dumps({"n": number})])
        if number % 2:
            rows.append(["silver", customer, "", ""])
    return write_csv(
        tmp_path / f"{tenant}.csv", ["segmentId", "customerId", "legalEntityId", "mixins"], rows
    )


def test_a_rerun_after_a_crash_between_chunks_completes_the_import(
    tmp_path, crash_after_first_chunk
):
    crashed = _members_file(tmp_path, TENANT)
    clean = _members_file(tmp_path, OTHER_TENANT)

    with pytest.raises(Crash):
        run_import("segment-customers", crashed, chunk_size=4)
    assert SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).count() == 4

    crash_after_first_chunk.undo()
    rerun = run_import("segment-customers", crashed, chunk_size=4)
    assert rerun.ok, rerun.out
    assert "inserted 6, updated 0, unchanged 4" in rerun.out
    assert run_import("segment-customers", clean, chunk_size=4, tenant=OTHER_TENANT).ok

    assert run_export("segment-customers", "-", format="jsonl") == run_export(
        "segment-customers", "-", format="jsonl", tenant=OTHER_TENANT
    )
    assert set(SegmentCustomerAssignment.objects.values_list("version", flat=True)) == {1}


def test_a_crash_while_parents_wait_leaves_a_consistent_forest(tmp_path, crash_after_first_chunk):
    make_tenants(TENANT)
    path = write_csv(
        tmp_path / "c.csv",
        ["id", "parentId", "localizedName.en"],
        [["child", "parent", "Child"], ["other", "", "Other"], ["parent", "", "Parent"]],
    )

    with pytest.raises(Crash):
        run_import("categories", path, chunk_size=2)
    # The child waited for its parent: it is not written without it.
    assert list(Category.objects.values_list("public_id", flat=True)) == ["other"]

    crash_after_first_chunk.undo()
    assert run_import("categories", path, chunk_size=2).ok
    parent = Category.objects.get(public_id="parent")
    child = Category.objects.get(public_id="child")
    assert (child.parent_id, child.path, child.depth) == (
        parent.pk,
        f"{parent.path}{child.pk}/",
        1,
    )


def test_storefront_caches_are_invalidated_by_each_chunk_that_wrote(tmp_path, published):
    make_tenants(TENANT)
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [["p1", "A"], ["p2", "B"], ["p3", "C"]])

    assert run_import("products", path, dry_run=True).ok
    assert published == []

    assert run_import("products", path, chunk_size=2).ok
    assert published == [(TENANT, frozenset({"t"}))] * 2  # two chunks, two commits

    assert run_import("products", path, chunk_size=2).ok
    assert len(published) == 2  # nothing changed, nothing to invalidate


def test_dry_runs_and_real_runs_take_turns_on_one_connection(tmp_path):
    path = _members_file(tmp_path, TENANT)

    for dry_run in (True, False, True, False):
        run = run_import("segment-customers", path, chunk_size=3, dry_run=dry_run)
        assert run.ok, run.out

    assert "inserted 0, updated 0, unchanged 10" in run.out
    assert SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).count() == 10
