"""The trail in the admin: written as the admin user, read-only, tenant-scoped, filterable
by segment, and a list page whose query count does not grow with the trail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from segments.models import Segment
from segments_project.audit.actor import acting_as
from segments_project.audit.admin import CappedCountPaginator
from segments_project.audit.models import AuditEvent
from segments_project.audit.record import Change, record

from ..conftest import OTHER_TENANT, TENANT
from ..segments.factories import make_segment
from .conftest import make_event, trail

pytestmark = pytest.mark.django_db

EVENTS = reverse("admin:audit_auditevent_changelist")


def _listed_ids(response) -> list[str]:
    return [event.document_id for event in response.context["cl"].result_list]


def test_an_admin_action_is_recorded_as_the_admin_user(auditor):
    silver = make_segment(TENANT, "silver", status="INACTIVE")

    response = auditor.post(
        reverse("admin:segments_segment_changelist"),
        {"action": "activate", "_selected_action": [silver.pk]},
    )

    assert response.status_code == 302
    (event,) = trail()
    assert (event["actor_kind"], event["actor"]) == ("admin", "auditor")
    assert event["changes"] == {"status": ["INACTIVE", "ACTIVE"]}


def test_the_list_shows_who_did_what_with_a_readable_diff(auditor):
    make_event(actor="acme-integration", changes={"status": ["INACTIVE", "ACTIVE"]})

    page = auditor.get(EVENTS).content.decode()

    assert "API client acme-integration" in page
    changed = '<strong>status</strong>: <span class="seg-change-value">INACTIVE → ACTIVE</span>'
    assert changed in page
    assert '<a href="?tenant=acme&amp;segment_id=gold">gold</a>' in page


def test_a_staff_user_sees_only_the_trail_of_their_tenants(auditor):
    make_event(TENANT, document_id="ours")
    theirs = make_event(OTHER_TENANT, document_id="theirs")

    response = auditor.get(EVENTS)

    assert _listed_ids(response) == ["ours"]
    detail = reverse("admin:audit_auditevent_change", args=[theirs.pk])
    assert auditor.get(detail).status_code == 302  # "does not exist", back to the list


def test_the_segment_filter_works_from_a_link(auditor):
    make_event(document_id="gold", segment_id="gold")
    make_event(document_type="segment_item_assignment", document_id="PRODUCT/tee")
    make_event(document_id="silver", segment_id="silver")
    make_event(document_type="coupon", document_id="SAVE10", segment_id=None)

    response = auditor.get(f"{EVENTS}?segment_id=gold")

    assert sorted(_listed_ids(response)) == ["PRODUCT/tee", "gold"]
    assert "gold" in response.content.decode()


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("SAVE10", ["SAVE10"]),  # a document id
        ("silver", ["PRODUCT/tee"]),  # a segment id
        ("night_job", ["gold"]),  # an actor
        ("save10", []),  # exact, as the ids are
        ("SAVE", []),
    ],
)
def test_search_finds_exact_document_ids_segment_ids_and_actors(auditor, term, found):
    make_event(document_type="coupon", document_id="SAVE10", segment_id=None)
    make_event(document_id="gold", actor_kind="command", actor="night_job")
    make_event(
        document_type="segment_item_assignment", document_id="PRODUCT/tee", segment_id="silver"
    )

    response = auditor.get(EVENTS, {"q": term})

    assert _listed_ids(response) == found


def test_the_date_drill_down_lists_the_months_between_the_first_and_last_event(auditor):
    for month in (1, 4):
        event = make_event(document_id=f"m{month}")
        AuditEvent.objects.filter(pk=event.pk).update(
            occurred_at=datetime(2025, month, 15, 12, tzinfo=UTC)
        )

    response = auditor.get(EVENTS)

    page = response.content.decode()
    assert "occurred_at__month=1" in page
    assert "occurred_at__month=2" in page  # empty, listed all the same
    assert "occurred_at__month=4" in page
    assert "occurred_at__month=5" not in page
    days = auditor.get(EVENTS, {"occurred_at__year": 2025, "occurred_at__month": 4})
    assert _listed_ids(days) == ["m4"]
    assert "occurred_at__day=15" in days.content.decode()


def test_the_trail_is_read_only(auditor):
    event = make_event()
    detail = reverse("admin:audit_auditevent_change", args=[event.pk])

    assert auditor.get(detail).status_code == 200
    assert auditor.post(detail, {"actor": "forged"}).status_code == 403
    assert auditor.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert auditor.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.actor == "some-client"


def test_staff_without_the_view_permission_cannot_read_it(db):
    user = User.objects.create_user("plain", "plain@example.com", "pw", is_staff=True)
    client = Client()
    client.force_login(user)

    assert client.get(EVENTS).status_code == 403


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_takes_a_constant_number_of_queries(auditor, count, django_assert_num_queries):
    for index in range(count):
        make_event(document_id=f"s{index}", segment_id=f"s{index}")

    # session, user, its permissions (user and group), tenant grants, their time zone, the
    # tenant filter's choices, the capped count, the page, the date hierarchy's range and
    # its days
    with django_assert_num_queries(11):
        response = auditor.get(EVENTS)

    assert len(_listed_ids(response)) == count


def test_events_recorded_in_a_block_carry_its_actor(db):
    make_segment(TENANT, "gold")

    with acting_as("command", "nightly_sync"):
        record(TENANT, [Change("segment", "gold", "updated", "gold", {"status": ["A", "B"]})])

    (event,) = trail()
    assert (event["actor_kind"], event["actor"]) == ("command", "nightly_sync")
    assert Segment.objects.filter(public_id="gold").exists()


def test_the_count_stops_at_the_cap(auditor, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 2)
    for index in range(3):
        make_event(document_id=f"s{index}")

    response = auditor.get(EVENTS)

    assert response.context["cl"].result_count == 2
