"""The members page tells MANUAL from AUTOMATIC members, links each to its explanation and
offers exclusion (not removal) for AUTOMATIC ones; the explain page shows the rule."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segments.models import Customer, SegmentCustomerAssignment, SegmentExclusion
from segments.services.rule_evaluation import segment_rule_apply
from tests.segments.factories import make_customer, make_segment

from .conftest import TENANT

pytestmark = pytest.mark.django_db


def _url(name: str, segment, *args) -> str:
    return reverse(f"admin:segments_segment_{name}", args=[segment.pk, *args])


@pytest.fixture
def ruled(shop):
    """gold keeps alice (MANUAL, B2C) and bob (MANUAL for acme-corp); its rule selects
    carol and dan (German speakers): AUTOMATIC members after evaluation."""
    gold = shop["gold"]
    gold.criteria = {"q": "preferredLanguage:de"}
    gold.save()
    for customer_id in ("carol", "dan"):
        make_customer(TENANT, customer_id)
    Customer.objects.filter(public_id__in=["carol", "dan"]).update(preferred_language="de")
    segment_rule_apply(tenant=TENANT, segment_id="gold")
    return shop


def _rows(page: str) -> dict[str, str]:
    """Each row of the members table by customer id (the row's HTML)."""
    body = page.split('id="result_list"', 1)[1].split("</tbody>", 1)[0]
    rows = body.split("<tr>")[2:]  # the header row, then one per member
    return {row.split("</a>", 1)[0].rsplit(">", 1)[1]: row for row in rows}


def test_each_member_shows_its_type_and_links_to_its_explanation(merchandiser, ruled):
    page = merchandiser.get(_url("members", ruled["gold"])).content.decode()

    rows = _rows(page)
    assert sorted(rows) == ["alice", "bob", "carol", "dan"]
    assert ">Automatic<" in rows["carol"] and ">Manual<" in rows["alice"]
    assert "kept by the segment's rule" in page
    explain = reverse("admin:segments_segment_explain")
    bob_link = unescape(rows["bob"].split('class="seg-explain"')[0].rsplit('href="', 1)[1])
    assert bob_link.startswith(explain)
    assert f"customer={ruled['bob'].pk}" in bob_link
    assert f"legal_entity={ruled['company'].pk}" in bob_link
    assert "site=main" in bob_link


def test_automatic_members_are_offered_exclusion_and_manual_ones_removal(merchandiser, ruled):
    rows = _rows(merchandiser.get(_url("members", ruled["gold"])).content.decode())

    assert 'name="remove"' in rows["alice"] and ">Exclude<" not in rows["alice"]
    assert 'name="remove"' not in rows["carol"]
    assert f'formaction="{_url("exclusions", ruled["gold"])}"' in rows["carol"]


def test_the_exclude_button_excludes_the_automatic_member(merchandiser, ruled):
    carol = Customer.objects.get(public_id="carol")

    response = merchandiser.post(
        _url("exclusions", ruled["gold"]), {"customer": carol.pk, "next": "x"}, follow=True
    )

    assert response.status_code == 200
    assert SegmentExclusion.objects.filter(segment=ruled["gold"], customer=carol).exists()
    assert not SegmentCustomerAssignment.objects.filter(customer=carol).exists()


def test_removing_an_automatic_member_is_refused_with_the_way_to_exclude(merchandiser, ruled):
    carol = SegmentCustomerAssignment.objects.get(customer__public_id="carol")

    response = merchandiser.post(_url("members_remove", ruled["gold"]), {"remove": carol.pk})

    shown = [str(message) for message in response.wsgi_request._messages]
    assert any("AUTOMATIC" in text and "exclusions/carol" in text for text in shown)
    assert SegmentCustomerAssignment.objects.filter(pk=carol.pk).exists()


def test_the_page_costs_the_same_queries_for_few_or_many_automatic_members(merchandiser, ruled):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert merchandiser.get(_url("members", ruled["gold"])).status_code == 200
        return len(queries)

    before = count()
    for number in range(15):
        make_customer(TENANT, f"de-{number}")
    Customer.objects.filter(public_id__startswith="de-").update(preferred_language="de")
    segment_rule_apply(tenant=TENANT, segment_id="gold")

    assert count() == before


def test_the_explain_page_shows_the_rules_conditions_and_values(merchandiser, ruled):
    carol = Customer.objects.get(public_id="carol")
    make_segment(TENANT, "french", criteria={"q": "preferredLanguage:fr"})
    SegmentExclusion.objects.create(
        tenant_id=TENANT,
        segment=ruled["silver"],
        customer=carol,
        created_at=carol.created_at,
    )

    page = merchandiser.get(
        reverse("admin:segments_segment_explain"), {"customer": carol.pk, "site": "main"}
    ).content.decode()

    assert 'id="explain-rule-gold"' in page
    assert "<code>preferredLanguage:de</code>" in page
    assert "<code>de</code>" in page
    assert "AUTOMATIC" in page and "EXCLUDED" in page
    assert 'id="explain-rule-french"' not in page  # selects nobody: no concern of carol's
