"""Actions of the segment list: activate, deactivate, duplicate with items, CSV exports."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from segments.models import Segment, SegmentItemAssignment

from .conftest import TENANT

LIST = reverse("admin:segments_segment_changelist")

pytestmark = pytest.mark.django_db


def _act(client, action: str, *segments: Segment, follow: bool = False):
    return client.post(
        LIST,
        {"action": action, "_selected_action": [segment.pk for segment in segments]},
        follow=follow,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_activate_and_deactivate_go_through_the_service(merchandiser, shop):
    gold, silver = shop["gold"], shop["silver"]

    response = _act(merchandiser, "activate", gold, silver, follow=True)

    assert "1 segment(s) activated; 1 already were." in _messages(response)
    silver.refresh_from_db()
    assert (silver.status, silver.version) == ("ACTIVE", 2)
    assert LogEntry.objects.get(
        object_id=str(silver.pk), action_flag=CHANGE
    ).get_change_message() == ("Set the status to ACTIVE.")
    assert not LogEntry.objects.filter(object_id=str(gold.pk)).exists()

    _act(merchandiser, "deactivate", gold, silver)

    assert set(Segment.objects.filter(tenant_id=TENANT).values_list("status", flat=True)) == {
        "INACTIVE"
    }


def test_duplicate_copies_the_segment_with_its_items_inactive(merchandiser, shop):
    gold = shop["gold"]

    response = _act(merchandiser, "duplicate", gold, follow=True)
    again = _act(merchandiser, "duplicate", gold, follow=True)

    copy = Segment.objects.get(tenant_id=TENANT, public_id="gold-copy")
    assert copy.status == "INACTIVE"
    assert copy.name == {"en": "Gold customers (copy)", "de": "Goldkunden (copy)"}
    assert copy.site_code == gold.site_code
    items = SegmentItemAssignment.objects.filter(segment=copy)
    assert {(row.item_type, row.product_id or row.category_id) for row in items} == {
        ("PRODUCT", shop["products"]["boot"].pk),
        ("CATEGORY", shop["categories"]["clothing"].pk),
    }
    assert not copy.customer_assignments.exists()
    assert any("as a copy of gold with 2 item(s)" in text for text in _messages(response))
    assert Segment.objects.filter(tenant_id=TENANT, public_id="gold-copy-2").exists()
    assert any("gold-copy-2" in text for text in _messages(again))
    entry = LogEntry.objects.get(object_id=str(copy.pk))
    assert entry.action_flag == ADDITION
    assert entry.get_change_message() == "Duplicated from gold with 2 item(s)."


def test_exports_of_several_segments(merchandiser, shop):
    members = _act(merchandiser, "export_members", shop["gold"], shop["silver"])
    items = _act(merchandiser, "export_items", shop["gold"], shop["silver"])

    assert members["Content-Disposition"] == 'attachment; filename="segments-members.csv"'
    assert b"".join(members.streaming_content).decode().splitlines() == [
        "segmentId,customerId,legalEntityId,mixins,metadata.mixins",
        "gold,alice,,,",
        "gold,bob,acme-corp,,",
        "silver,bob,,,",
    ]
    assert b"".join(items.streaming_content).decode().splitlines()[1:] == [
        "gold,CATEGORY,clothing,,",
        "gold,PRODUCT,boot,,",
    ]


def test_a_read_only_merchandiser_gets_no_actions(viewer, shop):
    page = viewer.get(LIST)

    assert page.status_code == 200
    assert page.context["action_form"] is None
    assert 'name="action"' not in page.content.decode()

    response = _act(viewer, "activate", shop["silver"])

    assert response.status_code == 200  # the list again: there is no such action for them
    shop["silver"].refresh_from_db()
    assert shop["silver"].status == "INACTIVE"
