"""The members page: many customers added at once from a pasted list (customer numbers or
emails, through the member service, tenant-scoped, unknown ones named by line), sortable
columns with a bounded number of queries, select-all and the MANUAL/AUTOMATIC legend."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segments.models import Customer, SegmentCustomerAssignment
from segments.services.member_bulk_add import MAX_REFERENCES
from segments_project.audit.models import AuditEvent
from tests.segments.factories import assign_customer, make_customer

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db


def _url(segment) -> str:
    return reverse("admin:segments_segment_members", args=[segment.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _members(segment) -> set[str]:
    return set(
        SegmentCustomerAssignment.objects.filter(segment=segment).values_list(
            "customer__public_id", flat=True
        )
    )


def test_a_pasted_list_of_numbers_and_emails_adds_them_and_names_the_unknown_lines(
    merchandiser, shop
):
    gold = shop["gold"]
    for name in ("carol", "dave", "erin"):
        make_customer(TENANT, name)
    make_customer(OTHER_TENANT, "stranger")
    Customer.objects.filter(public_id="dave").update(email="Dave@Example.com")
    pasted = "carol\ndave@example.com, ghost\n\nalice ; stranger\nerin,carol"

    response = merchandiser.post(_url(gold), {"customers": pasted, "bulk_add": "1"}, follow=True)

    assert _messages(response) == [
        "Added 3 member(s): carol, dave, erin.",
        "Already members: alice.",
        "Line 2: ghost: No customer has this number or email.",
        "Line 4: stranger: No customer has this number or email.",
    ]
    assert _members(gold) == {"alice", "bob", "carol", "dave", "erin"}
    assert not SegmentCustomerAssignment.objects.filter(customer__public_id="stranger").exists()
    entry = LogEntry.objects.get(object_id=str(gold.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "Added the members carol, dave, erin."
    # Written by the member service: its audit trail records the assignments.
    assert AuditEvent.objects.filter(segment_id="gold", action="assigned").exists()


def test_an_email_several_customers_share_is_named_not_guessed(merchandiser, shop):
    for name in ("carol", "dave"):
        make_customer(TENANT, name)
    Customer.objects.filter(public_id__in=["carol", "dave"]).update(email="family@example.com")

    response = merchandiser.post(
        _url(shop["gold"]), {"customers": "family@example.com", "bulk_add": "1"}, follow=True
    )

    assert _messages(response) == [
        "Line 1: family@example.com: 2 customers have this email (carol, dave)."
    ]


@pytest.mark.parametrize(
    ("pasted", "error"),
    [
        (" ,\n ", "Give at least one customer number or email address."),
        ("c\n" * (MAX_REFERENCES + 1), "At most 1000 customers at a time (1001 given)"),
    ],
)
def test_a_list_naming_nobody_or_too_many_is_refused_on_the_form(merchandiser, shop, pasted, error):
    response = merchandiser.post(_url(shop["gold"]), {"customers": pasted, "bulk_add": "1"})

    assert response.status_code == 200
    assert error in str(response.context["bulk_form"].errors["customers"])


def test_bulk_add_needs_the_change_permission(viewer, shop):
    make_customer(TENANT, "carol")

    response = viewer.post(_url(shop["gold"]), {"customers": "carol", "bulk_add": "1"})

    assert response.status_code == 403
    assert "carol" not in _members(shop["gold"])


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("customer", ["alice", "bob", "carol"]),
        ("-customer", ["carol", "bob", "alice"]),
        ("email", ["carol", "alice", "bob"]),
        ("for", ["bob", "alice", "carol"]),
        ("-for", ["bob", "carol", "alice"]),
        ("nonsense", ["carol", "bob", "alice"]),
    ],
)
def test_members_are_sorted_by_the_chosen_column(merchandiser, shop, order, expected):
    gold = shop["gold"]
    carol = make_customer(TENANT, "carol")
    Customer.objects.filter(pk=carol.pk).update(email="aaa@example.com")
    assign_customer(gold, carol)

    response = merchandiser.get(_url(gold), {"o": order})

    assert [row.customer.public_id for row in response.context["page"].object_list] == expected


def test_the_sort_links_toggle_and_keep_the_search(merchandiser, shop):
    response = merchandiser.get(_url(shop["gold"]), {"o": "email", "q": "a", "p": "1"})
    headers = {header["key"]: header for header in response.context["headers"]}

    assert headers["email"]["sorted"] == "asc"
    assert headers["email"]["url"] == "?o=-email&q=a"
    assert headers["name"]["url"] == "?o=name&q=a"
    html = response.content.decode()
    assert 'id="select-all-members"' in html and 'aria-sort="ascending"' in html
    assert 'id="assignment-types"' in html and "<strong>Automatic</strong>" in html


@pytest.mark.parametrize("order", ["name", "-added", "for", "type"])
def test_a_sorted_page_costs_the_same_queries_for_a_few_or_many_members(merchandiser, shop, order):
    gold = shop["gold"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert merchandiser.get(_url(gold), {"o": order}).status_code == 200
        return len(captured)

    few = queries()
    for number in range(60):
        assign_customer(gold, make_customer(TENANT, f"m{number:03d}"))

    assert queries() == few
