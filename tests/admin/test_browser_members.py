"""In a real headless Chromium: a segment's members page with MANUAL and AUTOMATIC members,
a member's explanation (the rule's conditions with the customer's values), and the
exclusion of an AUTOMATIC member from its row. Screenshots go to `artifacts/admin/`."""

from __future__ import annotations

from typing import Any

import pytest

from segments.models import Customer, SegmentCustomerAssignment, SegmentExclusion
from segments.services.rule_evaluation import segment_rule_apply
from segments_project.tenancy.models import Tenant
from tests.segments.factories import assign_customer, make_customer, make_segment

from . import test_browser
from .test_browser import log_in, make_merchandiser, shoot

# The browser tests' marks (slow, browser, skipped without Chromium) and Chromium tab.
pytestmark = test_browser.pytestmark
page = test_browser.page


@pytest.fixture
def ruled(transactional_db: Any) -> dict[str, Any]:
    """Segment loyal of tenant acme: alice a MANUAL member, carol an AUTOMATIC one (her
    language and points meet the rule); a merchandiser of acme."""
    tenant, _ = Tenant.objects.get_or_create(name="acme")
    alice = make_customer("acme", "alice")
    make_customer("acme", "carol")
    Customer.objects.filter(public_id="carol").update(
        preferred_language="de", mixins={"loyalty": {"points": 900}}
    )
    loyal = make_segment(
        "acme", "loyal", criteria={"q": "preferredLanguage:de mixins.loyalty.points:>=500"}
    )
    assign_customer(loyal, alice)
    segment_rule_apply(tenant="acme", segment_id="loyal")
    make_merchandiser(tenant)
    return {"loyal": loyal}


def test_members_explained_and_an_automatic_one_excluded(page: Any, live_server: Any, ruled):
    # Given a merchandiser on the members page of a rule segment.
    base = live_server.url
    log_in(page, base)
    loyal = ruled["loyal"]
    page.goto(f"{base}/admin/segments/segment/{loyal.pk}/members/")
    page.wait_for_selector("#result_list")
    types = page.locator("#result_list td.assignment-type").all_inner_texts()
    assert sorted(types) == ["Automatic", "Manual"]
    shoot(page, "20-members-manual-automatic")

    # When they ask why carol is a member.
    page.locator("tr:has-text('carol') a.seg-explain").click()
    page.wait_for_selector("#explain-rule-loyal")
    rule = page.inner_text("#explain-rule-loyal")
    assert "mixins.loyalty.points:>=500" in rule and "900" in rule
    shoot(page, "21-member-explained")

    # Then excluding her from her row removes the AUTOMATIC membership at once.
    page.go_back()
    page.locator("tr:has-text('carol') button:has-text('Exclude')").click()
    page.wait_for_selector(".messagelist .success")
    assert SegmentExclusion.objects.filter(segment=loyal, customer__public_id="carol").exists()
    assert not SegmentCustomerAssignment.objects.filter(customer__public_id="carol").exists()
    shoot(page, "22-member-excluded")
