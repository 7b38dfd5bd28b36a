"""A segment's exclusions page: listed, added (tenant-scoped autocomplete) and lifted
through the services; the members page refuses to remove AUTOMATIC members."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segments.models import SegmentCustomerAssignment, SegmentExclusion
from segments.services.exclusions import exclusion_put
from tests.segments.factories import make_customer

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db


def _url(name: str, segment, *args) -> str:
    return reverse(f"admin:segments_segment_{name}", args=[segment.pk, *args])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_segment_page_links_to_its_exclusions(merchandiser, shop):
    page = merchandiser.get(reverse("admin:segments_segment_change", args=[shop["gold"].pk]))

    assert _url("exclusions", shop["gold"]) in page.content.decode()


def test_excluding_a_customer_removes_its_automatic_membership_not_manual_ones(merchandiser, shop):
    gold = shop["gold"]
    SegmentCustomerAssignment.objects.filter(segment=gold, customer=shop["bob"]).update(
        assignment_type="AUTOMATIC"
    )

    for customer in (shop["alice"], shop["bob"]):
        response = merchandiser.post(
            _url("exclusions", gold), {"customer": customer.pk}, follow=True
        )
        assert any("is excluded from gold" in text for text in _messages(response))

    assert set(SegmentExclusion.objects.values_list("customer__public_id", flat=True)) == {
        "alice",
        "bob",
    }
    assert list(
        SegmentCustomerAssignment.objects.filter(segment=gold).values_list(
            "customer__public_id", "assignment_type"
        )
    ) == [("alice", "MANUAL")]
    entries = LogEntry.objects.filter(object_id=str(gold.pk), action_flag=CHANGE)
    assert [entry.get_change_message() for entry in entries.order_by("pk")] == [
        "Excluded the customer alice.",
        "Excluded the customer bob.",
    ]


def test_the_list_is_searchable_and_costs_the_same_queries_for_few_or_many(merchandiser, shop):
    gold = shop["gold"]
    exclusion_put(tenant=TENANT, segment_id="gold", customer_id="alice")

    def listed(**params) -> tuple[list[str], int]:
        with CaptureQueriesContext(connection) as captured:
            response = merchandiser.get(_url("exclusions", gold), params)
        rows = [row.customer.public_id for row in response.context["page"].object_list]
        return rows, len(captured)

    few_rows, few = listed()
    for number in range(20):
        make_customer(TENANT, f"x{number:02d}")
        exclusion_put(tenant=TENANT, segment_id="gold", customer_id=f"x{number:02d}")
    many_rows, many = listed()

    assert few_rows == ["alice"]
    assert len(many_rows) == 21
    assert many == few
    assert listed(q="ALICE@")[0] == ["alice"]


def test_a_customer_of_another_tenant_cannot_be_excluded(merchandiser, shop):
    stranger = make_customer(OTHER_TENANT, "stranger")

    page = merchandiser.get(_url("exclusions", shop["gold"])).content.decode()
    response = merchandiser.post(_url("exclusions", shop["gold"]), {"customer": stranger.pk})

    assert "/admin/segments/customer/autocomplete/?tenant=acme" in page
    assert "Select a valid choice" in str(response.context["form"].errors["customer"])
    assert not SegmentExclusion.objects.exists()


def test_lifting_exclusions_one_or_ticked(merchandiser, shop):
    gold = shop["gold"]
    exclusion_put(tenant=TENANT, segment_id="gold", customer_id="alice")
    exclusion_put(tenant=TENANT, segment_id="gold", customer_id="bob")
    alice, bob = SegmentExclusion.objects.order_by("customer__public_id")

    response = merchandiser.post(_url("exclusions_remove", gold), {"remove": alice.pk})
    assert response.status_code == 302
    assert list(SegmentExclusion.objects.all()) == [bob]
    merchandiser.post(_url("exclusions_remove", gold), {"selected": [bob.pk]})
    assert not SegmentExclusion.objects.exists()


def test_a_read_only_user_sees_the_exclusions_but_cannot_change_them(viewer, shop):
    gold = shop["gold"]
    exclusion_put(tenant=TENANT, segment_id="gold", customer_id="alice")

    page = viewer.get(_url("exclusions", gold))
    assert page.status_code == 200
    assert "Exclude a customer" not in page.content.decode()
    assert viewer.post(_url("exclusions", gold), {"customer": shop["bob"].pk}).status_code == 403
    assert SegmentExclusion.objects.count() == 1


def test_the_members_page_refuses_to_remove_an_automatic_member_and_says_why(merchandiser, shop):
    gold = shop["gold"]
    SegmentCustomerAssignment.objects.filter(segment=gold, customer=shop["bob"]).update(
        assignment_type="AUTOMATIC"
    )
    rows = SegmentCustomerAssignment.objects.filter(segment=gold).order_by("customer__public_id")

    response = merchandiser.post(
        _url("members_remove", gold), {"selected": [row.pk for row in rows]}, follow=True
    )

    shown = _messages(response)
    assert "Removed 1 member(s): alice." in shown
    assert any("AUTOMATIC member" in text and "exclusions/bob" in text for text in shown)
    assert list(
        SegmentCustomerAssignment.objects.filter(segment=gold).values_list(
            "customer__public_id", flat=True
        )
    ) == ["bob"]


def test_the_background_jobs_are_for_superusers_only_and_read_only(
    merchandiser, superuser_client, shop
):
    from segments_project.tenancy.tasks import anonymous_sessions_purge

    job = anonymous_sessions_purge.enqueue()
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")

    assert merchandiser.get(changelist).status_code == 403
    listed = superuser_client.get(changelist)
    assert listed.status_code == 200
    assert str(job.id) in listed.content.decode()
    change = reverse("admin:django_tasks_database_dbtaskresult_change", args=[job.id])
    assert superuser_client.get(change).status_code == 200
    assert superuser_client.post(change, {"status": "FAILED"}).status_code == 403


def test_the_members_page_explains_manual_and_automatic_and_links_the_exclusions(
    merchandiser, shop
):
    page = merchandiser.get(_url("members", shop["gold"])).content.decode()

    assert 'id="assignment-types"' in page
    assert _url("exclusions", shop["gold"]) in page
