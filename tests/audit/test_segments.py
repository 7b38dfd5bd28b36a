"""Segment writes through the API are recorded once, with the client and the diff."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from segments.services.segments import segment_upsert
from segments_project.audit.models import AuditEvent
from segments_project.tenancy.models import Tenant

from ..conftest import TENANT
from ..segments.factories import make_segment
from .conftest import AUDITED_CLIENT, audit_inserts, trail

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
GOLD = {"id": "gold", "name": {"en": "Gold"}, "status": "ACTIVE", "siteCode": "main"}


def test_create_records_the_client_and_the_values(integration):
    response = integration.post(SEGMENTS, GOLD)

    assert response.status_code == 201
    (event,) = trail()
    assert event["actor_kind"] == "client"
    assert event["actor"] == AUDITED_CLIENT
    assert (event["action"], event["document_type"]) == ("created", "segment")
    assert (event["document_id"], event["segment_id"]) == ("gold", "gold")
    assert event["changes"]["name"] == {"en": "Gold"}
    assert event["changes"]["status"] == "ACTIVE"


def test_put_records_only_the_changed_fields_as_old_and_new(integration):
    integration.post(SEGMENTS, GOLD)

    response = integration.put(f"{SEGMENTS}/gold", {**GOLD, "status": "INACTIVE"})

    assert response.status_code == 204
    update = trail(action="updated")
    assert [event["changes"] for event in update] == [{"status": ["ACTIVE", "INACTIVE"]}]


def test_put_that_changes_nothing_records_nothing(integration):
    integration.post(SEGMENTS, GOLD)

    response = integration.put(f"{SEGMENTS}/gold", GOLD)

    assert response.status_code == 204
    assert [event["action"] for event in trail()] == ["created"]


def test_patch_records_the_diff(integration):
    integration.post(SEGMENTS, GOLD)

    integration.patch(f"{SEGMENTS}/gold", [{"op": "replace", "path": "/name/en", "value": "Au"}])

    (event,) = trail(action="updated")
    assert event["changes"] == {"name": [{"en": "Gold"}, {"en": "Au"}]}


def test_a_stale_version_records_nothing(integration):
    integration.post(SEGMENTS, GOLD)
    integration.put(f"{SEGMENTS}/gold", {**GOLD, "status": "INACTIVE"})

    response = integration.put(f"{SEGMENTS}/gold", {**GOLD, "metadata": {"version": 1}})

    assert response.status_code == 409
    assert [event["action"] for event in trail()] == ["created", "updated"]


def test_delete_records_what_was_deleted(integration):
    make_segment(TENANT, "gold", status="INACTIVE")

    response = integration.delete(f"{SEGMENTS}/gold")

    assert response.status_code == 204
    (event,) = trail()
    assert (event["action"], event["document_id"], event["segment_id"]) == (
        "deleted",
        "gold",
        "gold",
    )
    assert event["changes"]["status"] == "INACTIVE"
    assert "forceDelete" not in event["changes"]


def test_force_delete_says_so(integration):
    make_segment(TENANT, "gold")

    integration.delete(f"{SEGMENTS}/gold?forceDelete=true")

    (event,) = trail()
    assert event["changes"]["forceDelete"] is True


def test_deleting_a_missing_segment_records_nothing(integration):
    response = integration.delete(f"{SEGMENTS}/nothing-here")

    assert response.status_code == 204
    assert trail() == []


def test_a_write_rolled_back_by_its_caller_leaves_no_audit_row():
    make_segment(TENANT, "gold", status="ACTIVE")

    with pytest.raises(RuntimeError), transaction.atomic():
        segment_upsert(tenant=TENANT, segment_id="gold", document={**GOLD, "status": "INACTIVE"})
        assert AuditEvent.objects.count() == 1
        raise RuntimeError("the caller fails after the write")

    assert AuditEvent.objects.count() == 0


def test_without_an_entry_point_the_actor_is_system():
    Tenant.objects.create(name=TENANT)

    segment_upsert(tenant=TENANT, segment_id="gold", document=GOLD)

    (event,) = trail()
    assert (event["actor_kind"], event["actor"]) == ("system", "")


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("POST", [{**GOLD, "id": f"s{index}"} for index in range(3)]),
        ("PUT", [{**GOLD, "id": f"s{index}", "status": "INACTIVE"} for index in range(3)]),
        ("DELETE", [f"s{index}" for index in range(3)]),
    ],
)
def test_a_bulk_request_adds_one_insert_per_element_written(integration, method, body):
    if method != "POST":
        for index in range(3):
            make_segment(TENANT, f"s{index}")

    with CaptureQueriesContext(connection) as queries:
        response = integration.request(method, f"{SEGMENTS}/bulk", body)

    assert response.status_code == 207
    assert audit_inserts(queries) == 3
    assert len(trail()) == 3
