"""What imports leave in the audit trail: segments row by row as the API records them;
item and member assignments as one event per segment, action and chunk with the ids,
inserted with one statement per chunk, by the command."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments_project.audit.models import AuditEvent
from tests.audit.conftest import audit_inserts
from tests.catalog.factories import make_category, make_product
from tests.segments.factories import (
    assign_customer,
    make_customer,
    make_legal_entity,
    make_segment,
)

from . import TENANT, make_tenants, run_import, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

MEMBER_HEADER = ["segmentId", "customerId", "legalEntityId", "mixins"]


@pytest.fixture(autouse=True)
def _tenant():
    make_tenants(TENANT)


def _trail() -> list[tuple]:
    return list(
        AuditEvent.objects.filter(tenant_id=TENANT)
        .order_by("id")
        .values_list("actor_kind", "actor", "action", "document_type", "document_id", "segment_id")
    )


def _changes(**filters) -> list[dict]:
    rows = AuditEvent.objects.filter(tenant_id=TENANT, **filters).order_by("id")
    return list(rows.values_list("changes", flat=True))


@pytest.fixture
def members(db) -> dict:
    """Segments gold and silver, customers c1 to c3 and b1 of legal entity le1."""
    found: dict = {name: make_segment(TENANT, name) for name in ("gold", "silver")}
    found.update({name: make_customer(TENANT, name) for name in ("c1", "c2", "c3")})
    found["le1"] = make_legal_entity(TENANT, "le1")
    found["b1"] = make_customer(TENANT, "b1", legal_entities=(found["le1"],))
    return found


def test_members_are_recorded_per_segment_action_and_chunk_by_the_command(tmp_path, members):
    assign_customer(members["gold"], members["c1"])
    path = write_csv(
        tmp_path / "members.csv",
        MEMBER_HEADER,
        [
            ["gold", "c1", "", json.dumps({"tier": 2})],  # line 2: updated
            ["gold", "c2", "", ""],  # 3: assigned
            ["silver", "b1", "le1", ""],  # 4: assigned (B2B)
            ["gold", "c3", "", ""],  # 5: assigned, next chunk
            ["gold", "nobody", "", ""],  # 6: rejected
        ],
    )

    with CaptureQueriesContext(connection) as queries:
        run = run_import("segment-customers", path, chunk_size=3)

    assert not run.ok
    command, name = "command", "import_data"
    assert _trail() == [
        (command, name, "updated", "segment_customer_assignment", "lines 2-4", "gold"),
        (command, name, "assigned", "segment_customer_assignment", "lines 2-4", "gold"),
        (command, name, "assigned", "segment_customer_assignment", "lines 2-4", "silver"),
        (command, name, "assigned", "segment_customer_assignment", "lines 5-6", "gold"),
    ]
    assert _changes() == [
        {"count": 1, "ids": ["c1"]},
        {"count": 1, "ids": ["c2"]},
        {"count": 1, "ids": ["b1/le1"]},
        {"count": 1, "ids": ["c3"]},
    ]
    assert audit_inserts(queries) == 2  # one per chunk


def test_a_rerun_and_a_dry_run_record_nothing(tmp_path, members):
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER, [["gold", "c1", "", ""]])

    assert run_import("segment-customers", path, dry_run=True).ok
    assert _trail() == []
    assert run_import("segment-customers", path).ok
    assert run_import("segment-customers", path).ok

    assert [event[2] for event in _trail()] == ["assigned"]


def test_replace_mode_records_what_it_removed(tmp_path, members):
    for customer_id in ("c1", "c2"):
        assign_customer(members["gold"], members[customer_id])
    assign_customer(members["gold"], members["b1"], members["le1"])
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADER, [["gold", "c1", "", ""]])

    assert run_import("segment-customers", path, mode="replace").ok

    assert [event[2:] for event in _trail()] == [
        ("unassigned", "segment_customer_assignment", "replace mode", "gold")
    ]
    assert _changes() == [{"count": 2, "ids": ["c2", "b1/le1"]}]


def test_items_are_named_like_their_urls(tmp_path):
    make_segment(TENANT, "gold")
    make_product(TENANT, "p1")
    make_category(TENANT, "shoes")
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"segmentId": "gold", "type": "PRODUCT", "itemId": "p1"},
            {"segmentId": "gold", "type": "CATEGORY", "itemId": "shoes"},
        ],
    )

    assert run_import("segment-items", path).ok

    assert [event[2:] for event in _trail()] == [
        ("assigned", "segment_item_assignment", "lines 1-2", "gold")
    ]
    assert _changes() == [{"count": 2, "ids": ["PRODUCT/p1", "CATEGORY/shoes"]}]


def test_segments_are_recorded_row_by_row_with_values_and_diffs(tmp_path):
    make_segment(TENANT, "gold")  # named Gold
    path = write_jsonl(
        tmp_path / "segments.jsonl",
        [
            {"id": "gold", "name": {"en": "Golden"}, "status": "ACTIVE", "siteCode": "main"},
            {"id": "new", "name": {"en": "New"}, "status": "ACTIVE", "siteCode": "main"},
        ],
    )

    assert run_import("segments", path).ok
    assert run_import("segments", path).ok  # unchanged: nothing more

    assert [event[2:] for event in _trail()] == [
        ("updated", "segment", "gold", "gold"),
        ("created", "segment", "new", "new"),
    ]
    updated, created = _changes()
    assert updated["name"] == [{"en": "Gold"}, {"en": "Golden"}]
    assert created["name"] == {"en": "New"}
    assert created["site_code"] == "main"
