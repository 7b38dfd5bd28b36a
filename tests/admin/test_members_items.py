"""A segment's members and items pages: paged, searchable, add and remove through the
services, every change in the LogEntry, autocomplete choices of the segment's tenant."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segments.admin.views import pages
from segments.models import Customer, SegmentCustomerAssignment, SegmentItemAssignment
from tests.catalog.factories import make_product
from tests.segments.factories import assign_customer, make_customer

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db


def _url(name: str, segment, *args) -> str:
    return reverse(f"admin:segments_segment_{name}", args=[segment.pk, *args])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _log(segment) -> list[str]:
    entries = LogEntry.objects.filter(object_id=str(segment.pk), action_flag=CHANGE)
    return [entry.get_change_message() for entry in entries.order_by("pk")]


# --- members -------------------------------------------------------------------------------------


def test_members_are_paged_50_at_a_time(merchandiser, shop):
    gold = shop["gold"]
    for number in range(118):
        assign_customer(gold, make_customer(TENANT, f"m{number:03d}"))

    first = merchandiser.get(_url("members", gold))
    last = merchandiser.get(_url("members", gold), {"p": 3})

    assert first.context["total_count"] == 120
    assert len(first.context["page"].object_list) == 50
    assert len(last.context["page"].object_list) == 20
    assert "?p=3" in first.content.decode()


def test_the_members_page_costs_the_same_queries_for_a_few_or_many_members(merchandiser, shop):
    gold = shop["gold"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert merchandiser.get(_url("members", gold)).status_code == 200
        return len(captured)

    few = queries()
    for number in range(60):
        assign_customer(gold, make_customer(TENANT, f"m{number:03d}"))

    assert queries() == few


@pytest.mark.parametrize(
    ("term", "expected"),
    [("alice@", ["alice"]), ("acme corp", ["bob"]), ("BOB", ["bob"]), ("zzz", [])],
)
@pytest.mark.parametrize("few", [500, 0], ids=["by customer", "walking the members"])
def test_members_are_searched_by_id_name_email_or_legal_entity(
    merchandiser, shop, term, expected, few, monkeypatch
):
    # Either way of reading a search (`pages.members_matching`) finds the same members:
    # by the matching customers' ids when they are few, else member by member.
    monkeypatch.setattr(pages, "FEW_MATCHES", few)

    response = merchandiser.get(_url("members", shop["gold"]), {"q": term})

    assert [row.customer.public_id for row in response.context["page"].object_list] == expected


def test_a_members_search_counts_up_to_100_matches(merchandiser, shop):
    gold = shop["gold"]
    now = timezone.now()
    meyers = Customer.objects.bulk_create(
        Customer(
            tenant_id=TENANT,
            public_id=f"m{number:04d}",
            first_name="Ann",
            last_name="Meyer",
            created_at=now,
            modified_at=now,
        )
        for number in range(101)
    )
    SegmentCustomerAssignment.objects.bulk_create(
        SegmentCustomerAssignment(
            tenant_id=TENANT, segment=gold, customer=customer, created_at=now, modified_at=now
        )
        for customer in meyers
    )

    searched = merchandiser.get(_url("members", gold), {"q": "meyer"})
    everyone = merchandiser.get(_url("members", gold))

    assert searched.context["total"] == "more than 100"
    assert len(searched.context["page"].object_list) == 50
    assert everyone.context["total"] == "103"


def test_adding_a_member_goes_through_the_service(merchandiser, shop):
    gold, carol = shop["gold"], make_customer(TENANT, "carol")

    response = merchandiser.post(_url("members", gold), {"customer": carol.pk}, follow=True)

    assert "carol is now a member of gold." in _messages(response)
    assignment = SegmentCustomerAssignment.objects.get(segment=gold, customer=carol)
    assert assignment.legal_entity is None
    assert _log(gold) == ["Added the member carol."]


def test_adding_a_b2b_member_checks_the_customer_belongs_to_the_legal_entity(merchandiser, shop):
    gold, company = shop["gold"], shop["company"]

    response = merchandiser.post(
        _url("members", gold), {"customer": shop["alice"].pk, "legal_entity": company.pk}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "does not belong to the legal entity acme-corp" in str(errors["legal_entity"])
    assert not SegmentCustomerAssignment.objects.filter(
        segment=gold, customer=shop["alice"], legal_entity=company
    ).exists()


def test_a_customer_of_another_tenant_cannot_be_added(merchandiser, shop):
    stranger = make_customer(OTHER_TENANT, "stranger")

    response = merchandiser.post(_url("members", shop["gold"]), {"customer": stranger.pk})

    assert "Select a valid choice" in str(response.context["form"].errors["customer"])
    assert not SegmentCustomerAssignment.objects.filter(customer=stranger).exists()


def test_removing_one_member_and_the_ticked_ones(merchandiser, shop):
    gold = shop["gold"]
    alice_row = SegmentCustomerAssignment.objects.get(segment=gold, customer=shop["alice"])
    bob_row = SegmentCustomerAssignment.objects.get(segment=gold, customer=shop["bob"])
    carol_row = assign_customer(gold, make_customer(TENANT, "carol"))
    back = _url("members", gold) + "?q=a"

    response = merchandiser.post(
        _url("members_remove", gold), {"remove": alice_row.pk, "selected": [bob_row.pk]}
    )
    assert response.status_code == 302 and response["Location"] == _url("members", gold)
    assert set(SegmentCustomerAssignment.objects.filter(segment=gold)) == {bob_row, carol_row}

    response = merchandiser.post(
        _url("members_remove", gold), {"selected": [bob_row.pk, carol_row.pk], "next": back}
    )
    assert response["Location"] == back
    assert not SegmentCustomerAssignment.objects.filter(segment=gold).exists()
    assert _log(gold) == [
        "Removed the members alice.",
        "Removed the members bob for acme-corp, carol.",
    ]


def test_rows_of_another_segment_are_not_removed(merchandiser, shop):
    silver_row = SegmentCustomerAssignment.objects.get(segment=shop["silver"])

    merchandiser.post(_url("members_remove", shop["gold"]), {"remove": silver_row.pk})

    assert SegmentCustomerAssignment.objects.filter(pk=silver_row.pk).exists()


def test_the_members_download_is_a_streamed_csv_the_import_reads(merchandiser, shop):
    response = merchandiser.get(_url("members_export", shop["gold"]))

    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="gold-members.csv"'
    assert b"".join(response.streaming_content).decode().splitlines() == [
        "segmentId,customerId,legalEntityId,mixins,metadata.mixins",
        "gold,alice,,,",
        "gold,bob,acme-corp,,",
    ]


# --- items ---------------------------------------------------------------------------------------


def test_items_are_listed_with_their_names_and_filtered_by_type(merchandiser, shop):
    gold = shop["gold"]

    everything = merchandiser.get(_url("items", gold))
    categories = merchandiser.get(_url("items", gold), {"type": "category"})
    searched = merchandiser.get(_url("items", gold), {"q": "boot"})

    assert [row.item.public_id for row in everything.context["page"].object_list] == [
        "clothing",
        "boot",
    ]
    assert [row.item_name for row in everything.context["page"].object_list] == [
        "Clothing",
        "Boot",
    ]
    assert [row.item.public_id for row in categories.context["page"].object_list] == ["clothing"]
    assert [row.item.public_id for row in searched.context["page"].object_list] == ["boot"]


def test_adding_a_product_and_a_category(merchandiser, shop):
    gold = shop["gold"]
    parka, shoes = shop["products"]["parka"], shop["categories"]["shoes"]

    merchandiser.post(_url("items", gold), {"product": parka.pk})
    merchandiser.post(_url("items", gold), {"category": shoes.pk})

    assert SegmentItemAssignment.objects.filter(segment=gold, product=parka).exists()
    assert SegmentItemAssignment.objects.filter(segment=gold, category=shoes).exists()
    assert _log(gold) == ["Added the product parka.", "Added the category shoes."]


@pytest.mark.parametrize("data", [{}, {"product": "PRODUCT", "category": "CATEGORY"}])
def test_an_item_is_a_product_or_a_category(merchandiser, shop, data):
    data = {
        key: (
            shop["products"]["parka"].pk if value == "PRODUCT" else shop["categories"]["shoes"].pk
        )
        for key, value in data.items()
    }

    response = merchandiser.post(_url("items", shop["gold"]), data)

    assert "Choose either a product or a category." in str(response.context["form"].errors)


def test_adding_an_item_already_there_says_so(merchandiser, shop):
    response = merchandiser.post(
        _url("items", shop["gold"]), {"product": shop["products"]["boot"].pk}, follow=True
    )

    assert "The product boot already was in gold." in _messages(response)


def test_removing_items(merchandiser, shop):
    gold = shop["gold"]
    rows = list(SegmentItemAssignment.objects.filter(segment=gold))

    merchandiser.post(_url("items_remove", gold), {"selected": [row.pk for row in rows]})

    assert not SegmentItemAssignment.objects.filter(segment=gold).exists()
    assert _log(gold) == ["Removed the items category clothing, product boot."]


def test_the_items_download(merchandiser, shop):
    response = merchandiser.get(_url("items_export", shop["gold"]))

    assert b"".join(response.streaming_content).decode().splitlines() == [
        "segmentId,type,itemId,mixins,metadata.mixins",
        "gold,CATEGORY,clothing,,",
        "gold,PRODUCT,boot,,",
    ]


# --- autocomplete --------------------------------------------------------------------------------


def _autocomplete(client, model: str, source_model: str, field: str, **params):
    return client.get(
        reverse(f"admin:segments_{model}_scoped_autocomplete"),
        {
            "app_label": "segments",
            "model_name": source_model,
            "field_name": field,
            **params,
        },
    )


def test_the_member_form_offers_customers_of_the_segments_tenant(superuser_client, shop):
    make_customer(OTHER_TENANT, "alien")

    page = superuser_client.get(_url("members", shop["gold"])).content.decode()
    found = _autocomplete(
        superuser_client, "customer", "segmentcustomerassignment", "customer", tenant=TENANT
    ).json()
    everyone = _autocomplete(
        superuser_client, "customer", "segmentcustomerassignment", "customer"
    ).json()

    assert "/admin/segments/customer/autocomplete/?tenant=acme" in page
    assert [result["text"] for result in found["results"]] == [
        "alice — First Alice <alice@example.com>",
        "bob — First Bob <bob@example.com>",
    ]
    assert "alien — First Alien <alien@example.com>" in [r["text"] for r in everyone["results"]]


def test_product_results_are_searched_by_name(merchandiser, shop):
    make_product(TENANT, "scarf", name="Wool scarf")

    response = merchandiser.get(
        reverse("admin:catalog_product_scoped_autocomplete"),
        {
            "app_label": "segments",
            "model_name": "segmentitemassignment",
            "field_name": "product",
            "tenant": TENANT,
            "term": "wool",
        },
    )

    assert response.json()["results"] == [
        {
            "id": str(response.json()["results"][0]["id"]),
            "text": "scarf — Wool scarf (SKU code-scarf)",
        }
    ]
