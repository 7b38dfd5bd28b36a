"""In a real headless Chromium (1400x1000): the members page's bulk add, select-all and
sorting; localized names side by side on the segment form; and the screenshots of the
members page and of an import report for docs/admin/. Screenshots are written to
`ADMIN_SCREENSHOTS_DIR` when it is set (`docs/admin` to refresh the committed ones), else
to the git-ignored `artifacts/admin/`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from catalog.models import Product
from segments.models import Customer, Segment, SegmentCustomerAssignment
from segments.services.rule_evaluation import segment_rule_apply
from segments_project.tenancy.models import Tenant
from tests.catalog.factories import make_category, make_product
from tests.segments.factories import assign_customer, make_customer, make_segment

from . import test_browser
from .test_browser import ARTIFACTS, log_in, make_merchandiser

pytestmark = test_browser.pytestmark
page = test_browser.page

SCREENSHOT_SUFFIX = os.environ.get("ADMIN_SCREENSHOTS_SUFFIX", "after")


def doc_shot(page: Any, name: str) -> Path:
    """Saves the page as `<name>-<suffix>.png` where the docs' screenshots are wanted."""
    directory = Path(os.environ.get("ADMIN_SCREENSHOTS_DIR") or ARTIFACTS)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{SCREENSHOT_SUFFIX}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


@pytest.fixture
def shop(transactional_db: Any) -> dict[str, Any]:
    """Tenant acme: segment loyal with twelve manual members and two automatic ones, a few
    products with SKU codes, and a merchandiser of acme."""
    tenant, _ = Tenant.objects.get_or_create(name="acme")
    loyal = make_segment(
        "acme", "loyal", criteria={"q": "preferredLanguage:de mixins.loyalty.points:>=500"}
    )
    names = ["anna", "ben", "chris", "dora", "emil", "fritz", "greta", "hans", "ida", "jan"]
    for name in [*names, "karl", "lena"]:
        assign_customer(loyal, make_customer("acme", f"c-{name}"))
    for name in ("mia", "nora"):
        make_customer("acme", f"c-{name}")
    Customer.objects.filter(public_id__in=["c-mia", "c-nora"]).update(
        preferred_language="de", mixins={"loyalty": {"points": 900}}
    )
    segment_rule_apply(tenant="acme", segment_id="loyal")
    make_category("acme", "summer", name="Summer collection")
    for number in range(1, 4):
        make_product("acme", f"p-{number}", name=f"Sun dress {number}")
    Product.objects.filter(public_id="p-1").update(code="SKU-1001")
    make_merchandiser(tenant)
    return {"loyal": loyal}


ITEMS_FILE = (
    b"type;itemId\n"
    b"CATEGORY;summer\n"
    b"PRODUCT;p-2\n"
    b"PRODUCT;SKU-1001\n"
    b"PRODUCT;no-such-product\n"
    b"PRODUCT;p-2\n"
)


def test_screenshots_of_the_members_page_and_an_import_report(page: Any, live_server: Any, shop):
    base = live_server.url
    log_in(page, base)
    loyal = shop["loyal"]
    page.goto(f"{base}/admin/segments/segment/{loyal.pk}/members/")
    page.wait_for_selector("#result_list")
    doc_shot(page, "members")

    page.goto(f"{base}/admin/segments/segment/{loyal.pk}/import/")
    page.check("input[name=kind][value=segment-items]")
    page.set_input_files(
        "#id_file", files=[{"name": "items.csv", "mimeType": "text/csv", "buffer": ITEMS_FILE}]
    )
    page.click("input[type=submit][value='Upload and check']")
    page.wait_for_selector("#import-report, .errorlist")
    doc_shot(page, "import")


def test_bulk_add_select_all_and_sort_on_the_members_page(page: Any, live_server: Any, shop):
    # Given a merchandiser on the members page with a pasted list of numbers and emails.
    base = live_server.url
    log_in(page, base)
    loyal = shop["loyal"]
    for name in ("olga", "paul"):
        make_customer("acme", f"c-{name}")
    page.goto(f"{base}/admin/segments/segment/{loyal.pk}/members/")
    page.fill("#id_customers", "c-olga\nc-paul@example.com, ghost\nc-anna")

    # When they add them in one go.
    page.click("input[name=bulk_add]")
    page.wait_for_selector(".messagelist .success")

    # Then the known ones are members, the unknown line is named, the rest already were.
    messages = page.locator(".messagelist li").all_inner_texts()
    assert "Added 2 member(s): c-olga, c-paul." in messages
    assert "Line 2: ghost: No customer has this number or email." in messages
    added = SegmentCustomerAssignment.objects.filter(
        segment=loyal, customer__public_id__in=["c-olga", "c-paul"]
    )
    assert added.count() == 2

    # When they sort by email, then tick every row at once and remove them.
    page.click("#sort-email a")
    page.wait_for_selector("#sort-email[aria-sort=ascending]")
    emails = page.locator("#result_list tbody tr td:nth-child(4)").all_inner_texts()
    assert emails == sorted(emails)
    page.check("#select-all-members")
    boxes = page.locator("#result_list input[name=selected]")
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.click("#remove-selected")
    page.wait_for_selector(".messagelist .success")

    # Then the manual members are gone; the automatic ones stay (the rule keeps them).
    left = SegmentCustomerAssignment.objects.filter(segment=loyal)
    assert set(left.values_list("assignment_type", flat=True)) == {"AUTOMATIC"}


def test_localized_names_side_by_side_are_saved_in_one_submit(page: Any, live_server: Any, shop):
    # Given a tenant whose segments are named in English and German.
    Segment.objects.filter(public_id="loyal").update(name={"en": "Loyal", "de": "Treue"})
    base = live_server.url
    log_in(page, base)

    # When a merchandiser fills both names on the new segment's form and saves once.
    page.goto(f"{base}/admin/segments/segment/add/")
    page.fill("#id_public_id", "vip")
    page.fill("#id_name__en", "VIP customers")
    page.fill("#id_name__de", "VIP-Kunden")
    page.fill("#id_site_code", "main")
    doc_shot(page, "segment-languages")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    # Then both are stored, and the empty descriptions are not.
    vip = Segment.objects.get(tenant_id="acme", public_id="vip")
    assert vip.name == {"en": "VIP customers", "de": "VIP-Kunden"}
    assert vip.description == {}
