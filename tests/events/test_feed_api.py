"""`GET /customer-segment/{tenant}/events`: the changes feed, in commit order, exactly once
across pages, filtered by type, 410 for a cursor older than the retention, one tenant's."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from segments_project.events.append import EventDraft, events_append
from segments_project.events.feed import cursor_encode
from segments_project.events.models import Event
from segments_project.events.retention import events_prune
from segments_project.events.sequencing import events_sequence
from segments_project.tenancy.models import Tenant

from ..conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db

FEED = f"/customer-segment/{TENANT}/events"


@pytest.fixture
def tenants(db) -> None:
    for name in (TENANT, OTHER_TENANT):
        Tenant.objects.get_or_create(name=name)


def _append(*types: str, tenant: str = TENANT, resource: str = "gold") -> None:
    drafts = [
        EventDraft(kind, "segment", resource, {"n": index}) for index, kind in enumerate(types)
    ]
    events_append(tenant=tenant, drafts=drafts)


def _read_all(caller, query: str = "", size: int = 2) -> tuple[list[dict], str]:
    """Every page until an empty one; the events and the last cursor."""
    seen: list[dict] = []
    cursor = None
    for _ in range(100):
        after = f"&after={cursor}" if cursor else ""
        response = caller.get(f"{FEED}?pageSize={size}{query}{after}")
        assert response.status_code == 200, response.json()
        cursor = response["X-Next-Cursor"]
        if not response.json():
            return seen, cursor
        seen += response.json()
    raise AssertionError("the feed never ended")


def test_pages_through_every_event_exactly_once_in_commit_order(reader, tenants):
    _append("segment.member.added", "segment.member.removed", "segment.item.added")
    _append("coupon.redeemed", resource="TENOFF")
    _append("segment.updated")

    events, cursor = _read_all(reader)

    assert [event["type"] for event in events] == [
        "segment.member.added",
        "segment.member.removed",
        "segment.item.added",
        "coupon.redeemed",
        "segment.updated",
    ]
    assert len({event["id"] for event in events}) == 5
    first = events[0]
    assert first["tenant"] == TENANT and first["resource"] == {"type": "segment", "id": "gold"}
    assert first["sequenceNumber"] == 1 and first["data"] == {"n": 0}
    assert first["createdAt"].endswith("Z")
    # Polling with the last cursor answers only what came since.
    _append("segment.deleted")
    response = reader.get(f"{FEED}?after={cursor}")
    assert [event["type"] for event in response.json()] == ["segment.deleted"]
    assert reader.get(f"{FEED}?after={response['X-Next-Cursor']}").json() == []


def test_types_filter_exact_and_prefix_patterns(reader, tenants):
    _append("segment.member.added", "segment.item.added", "segment.member.removed")
    _append("coupon.redeemed", "coupon.updated", resource="TENOFF")

    events, _ = _read_all(reader, "&types=segment.member.*,coupon.redeemed")

    assert [event["type"] for event in events] == [
        "segment.member.added",
        "segment.member.removed",
        "coupon.redeemed",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=nonsense", "after"),
        ("after=" + cursor_encode(1)[:-2], "after"),
        ("types=segment.nothing", "types"),
        ("types=segment.member", "types"),
        ("pageSize=0", "pageSize"),
        ("pageSize=1001", "pageSize"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(reader, tenants, query, field):
    response = reader.get(f"{FEED}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and body["status"] == "Bad Request"
    assert [detail["field"] for detail in body["details"]] == [field]


def test_another_tenants_events_are_invisible(reader, outsider, tenants):
    _append("segment.created", tenant=OTHER_TENANT)
    _append("segment.created")

    events, _ = _read_all(reader)
    assert [event["tenant"] for event in events] == [TENANT]
    # A token of the other tenant reads neither this tenant's feed nor its events.
    assert outsider.get(FEED).status_code in (401, 403, 404)
    theirs = outsider.get(f"/customer-segment/{OTHER_TENANT}/events").json()
    assert [event["tenant"] for event in theirs] == [OTHER_TENANT]


def test_a_token_without_segment_read_is_a_403(issue_token, tenants):
    from ..conftest import Caller

    caller = Caller(issue_token(granted=frozenset({"coupon.coupon_read"})))

    response = caller.get(FEED)

    assert response.status_code == 403
    assert "missing scope: customersegment.segment_read" in response.json()["details"]


def _age(days: int) -> None:
    events_sequence()
    Event.objects.update(created_at=timezone.now() - timedelta(days=days))


def test_a_cursor_older_than_the_retention_is_a_410(reader, tenants):
    _append("segment.created")
    stale = reader.get(f"{FEED}?pageSize=1")["X-Next-Cursor"]  # after the first event
    _append("segment.updated", "segment.deleted")
    _age(8)
    _append("segment.created", resource="silver")

    assert events_prune(tenant=TENANT) == 3

    response = reader.get(f"{FEED}?after={stale}")
    assert response.status_code == 410
    body = response.json()
    assert body["code"] == 410 and body["status"] == "Gone"
    # Without a cursor the feed starts at the oldest retained event.
    events, _ = _read_all(reader)
    assert [event["resource"]["id"] for event in events] == ["silver"]


def test_a_cursor_past_everything_pruned_stays_valid(reader, tenants):
    _append("segment.created")
    _age(8)
    cursor = reader.get(FEED)["X-Next-Cursor"]

    assert events_prune(tenant=TENANT) == 1
    _append("segment.updated")

    response = reader.get(f"{FEED}?after={cursor}")
    assert response.status_code == 200
    assert [event["type"] for event in response.json()] == ["segment.updated"]


def test_prune_keeps_what_is_younger_than_the_retention_and_other_tenants(tenants, settings):
    settings.EVENTS_RETENTION_DAYS = 3
    _append("segment.created", tenant=OTHER_TENANT)
    _append("segment.created")
    _age(4)
    _append("segment.updated")

    assert events_prune(tenant=TENANT) == 1
    assert events_prune(tenant=TENANT) == 0
    assert sorted(Event.objects.values_list("tenant_id", "type")) == [
        (TENANT, "segment.updated"),
        (OTHER_TENANT, "segment.created"),
    ]


def test_the_prune_events_command_and_its_job(tenants):
    _append("segment.created")
    _append("segment.created", tenant=OTHER_TENANT)
    _age(8)
    out = io.StringIO()

    call_command("prune_events", tenant=TENANT, stdout=out)
    assert f"{TENANT}: deleted 1 event(s)." in out.getvalue()
    assert list(Event.objects.values_list("tenant_id", flat=True)) == [OTHER_TENANT]

    call_command("prune_events", enqueue=True, stdout=out)
    jobs = DBTaskResult.objects.filter(task_path__endswith="events_prune_task")
    assert sorted(job.args_kwargs["args"][0] for job in jobs) == sorted([TENANT, OTHER_TENANT])


def test_the_feed_costs_a_fixed_number_of_queries(reader, tenants, django_assert_max_num_queries):
    for index in range(30):
        _append("segment.created", resource=f"s{index}")
    reader.get(FEED)  # numbers the events

    # token; sequencer (savepoint, lock, update, release); counter; events; pruning mark
    with django_assert_max_num_queries(9):
        response = reader.get(f"{FEED}?pageSize=20")
    assert len(response.json()) == 20
