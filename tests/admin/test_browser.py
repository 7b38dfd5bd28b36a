"""End to end in a real headless Chromium: a merchandiser logs in, creates a segment, gives
it a category and a customer with the autocomplete widgets, and previews the storefront.

Screenshots of every page go to `artifacts/admin/` (git-ignored) for people to look at.
Runs against pytest-django's live server; Chromium is Debian's (`/usr/bin/chromium`),
driven by Playwright without a browser download of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db import connections

from catalog.models import Category
from segments.models import Customer, Segment, SegmentCustomerAssignment, SegmentItemAssignment
from segments_project.tenancy.models import Tenant, TenantMembership
from tests.catalog.factories import make_assignment, make_category, make_product
from tests.segments.factories import make_customer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "admin"
PASSWORD = "browser-test-password"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture
def page(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Chromium tab with a 1400x1000 window; the test's ORM calls may run while
    Playwright's event loop exists in this thread."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        try:
            yield tab
        finally:
            # ORM calls made while Playwright's loop runs use connections of their own
            # context; closed here, or PostgreSQL cannot drop the test database afterwards.
            connections.close_all()
            context.close()
            browser.close()


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def search_picker(page: Any, field_id: str, text: str) -> None:
    """Opens the field's select2 autocomplete and types `text`; returns once the answer for
    the text is shown, not the list shown before it (whose labels may contain the text: a
    category's path names its parent)."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.wait_for_timeout(400)  # select2 asks the server 250 ms after the last key
    page.wait_for_load_state("networkidle")
    page.locator(".select2-results__option.loading-results").wait_for(state="detached")


def pick(page: Any, field_id: str, text: str) -> None:
    """Chooses `text` in the select2 autocomplete of the field, as a person would."""
    search_picker(page, field_id, text)
    option = page.locator(".select2-results__option", has_text=text).first
    option.wait_for()
    option.click()


@pytest.fixture
def catalog(transactional_db: Any) -> dict[str, Any]:
    tenant, _ = Tenant.objects.get_or_create(name="acme")
    summer = make_category("acme", "summer", name="Summer collection", position=0)
    make_category("acme", "winter", name="Winter collection", position=1)
    dresses = make_category("acme", "dresses", parent=summer, name="Dresses")
    sundress = make_product("acme", "sundress", name="Sun dress")
    make_assignment(dresses, sundress)
    alice = make_customer("acme", "alice")
    user = make_merchandiser(tenant)
    return {"summer": summer, "alice": alice, "sundress": sundress, "user": user}


MERCHANDISING_APPS = ("segments", "catalog", "coupons")


def make_merchandiser(*tenants: Tenant, apps: tuple[str, ...] = MERCHANDISING_APPS) -> User:
    """User `merch`: staff with every view/add/change/delete permission of `apps`,
    granted `tenants` only."""
    user = User.objects.create_user("merch", "merch@example.com", PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=apps, codename__regex=r"^(view|add|change|delete)_"
        )
    )
    for tenant in tenants:
        TenantMembership.objects.create(user=user, tenant=tenant)
    return user


def test_merchandiser_creates_a_segment_and_previews_it(page: Any, live_server: Any, catalog):
    # Given a merchandiser of tenant acme, logged in to the admin.
    base = live_server.url
    log_in(page, base)

    # When they create a segment and give it a category, a member and imported items.
    segment = create_segment_in_two_languages(page, base)
    add_category_item(page, segment, catalog["summer"])
    add_member(page, base, segment, catalog["alice"])
    import_items_then_remove_one(page, base, segment)

    # Then the list, the storefront preview, the category tree, the product and the
    # customer all show it.
    show_segment_list(page, base)
    preview_storefront(page, base, segment)
    show_category_tree(page, base)
    show_segments_of_product_and_customer(page, base, catalog)


def log_in(page: Any, base: str) -> None:
    """Logs in as the merchandiser and lands on the admin index."""
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "merch")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    shoot(page, "01-index")


def create_segment_in_two_languages(page: Any, base: str) -> Segment:
    """Creates segment `vip` with an English name, site and status, then adds a German name
    on its change page (through the "add language" row); stays on the change page."""
    page.goto(f"{base}/admin/segments/segment/add/")
    page.fill("#id_public_id", "vip")
    page.fill("#id_name__add_language", "en")
    page.fill("#id_name__add_text", "VIP customers")
    page.select_option("#id_status", "ACTIVE")
    page.fill("#id_site_code", "main")
    shoot(page, "02-segment-add")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    segment = Segment.objects.get(tenant_id="acme", public_id="vip")
    assert segment.name == {"en": "VIP customers"}
    page.fill("#id_name__add_language", "de")
    page.fill("#id_name__add_text", "VIP-Kunden")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    segment.refresh_from_db()
    assert segment.name == {"en": "VIP customers", "de": "VIP-Kunden"}
    shoot(page, "03-segment-change")
    return segment


def add_category_item(page: Any, segment: Segment, category: Category) -> None:
    """From the segment's change page, gives it the category picked with the autocomplete."""
    page.click("text=Items (0)")
    page.wait_for_selector("#id_category")
    pick(page, "id_category", "Summer collection")
    page.click("input[name=add]")
    page.wait_for_selector(".messagelist .success")
    assert SegmentItemAssignment.objects.filter(segment=segment, category=category)
    shoot(page, "04-segment-items")


def add_member(page: Any, base: str, segment: Segment, customer: Customer) -> None:
    """Makes alice a member of the segment."""
    page.goto(f"{base}/admin/segments/segment/{segment.pk}/members/")
    pick(page, "id_customer", "alice")
    page.click("input[name=add]")
    page.wait_for_selector(".messagelist .success")
    assert SegmentCustomerAssignment.objects.filter(segment=segment, customer=customer)
    shoot(page, "05-segment-members")


def import_items_then_remove_one(page: Any, base: str, segment: Segment) -> None:
    """Imports items from a file, checked first (one bad row) and then applied; removes
    the imported item again on the items page."""
    page.click("text=Segments")
    page.goto(f"{base}/admin/segments/segment/{segment.pk}/import/")
    page.set_input_files(
        "#id_file",
        files=[{
            "name": "items.csv",
            "mimeType": "text/csv",
            "buffer": b"type,itemId\nCATEGORY,winter\nPRODUCT,no-such-product\n",
        }],
    )  # fmt: skip
    shoot(page, "06-import-upload")
    page.click("input[type=submit][value='Upload and check']")
    page.wait_for_selector("#import-report")
    assert "The product with id no-such-product has not been found." in page.inner_text(
        "#rejections"
    )
    shoot(page, "07-import-checked")
    page.click("input[value^='Apply the 1 ok row']")
    page.wait_for_selector("text=Import finished")
    assert SegmentItemAssignment.objects.filter(segment=segment, category__public_id="winter")
    shoot(page, "08-import-done")
    imported = SegmentItemAssignment.objects.get(segment=segment, category__public_id="winter")
    page.goto(f"{base}/admin/segments/segment/{segment.pk}/items/")
    page.click(f"button[name=remove][value='{imported.pk}']")
    page.wait_for_selector(".messagelist .success")
    assert not SegmentItemAssignment.objects.filter(pk=imported.pk).exists()


def show_segment_list(page: Any, base: str) -> None:
    """The segment list, with its counts."""
    page.goto(f"{base}/admin/segments/segment/")
    page.wait_for_selector("#result_list")
    shoot(page, "09-segment-list")


def preview_storefront(page: Any, base: str, segment: Segment) -> None:
    """Previews alice's storefront from the segment: the category is there, with its
    subtree, and nothing else; the product of the subtree too."""
    page.goto(f"{base}/admin/segments/segment/{segment.pk}/change/")
    page.click("text=Preview")
    pick(page, "id_customer", "alice")
    page.click("#preview-form input[type=submit]")
    page.wait_for_selector("#preview-categories")
    # The tree starts collapsed: open Summer collection.
    page.locator("li[data-category=summer] > details > summary .seg-node-name").click()
    # Its subcategories load when it opens.
    page.locator("li[data-category=summer] .seg-tree li").first.wait_for(state="visible")
    tree = page.locator("#preview-categories").inner_text()
    assert "Summer collection" in tree
    assert "Dresses" in tree
    assert "Winter collection" not in tree
    assert "sundress" in page.locator("#preview-products").inner_text()
    shoot(page, "10-preview")


def show_category_tree(page: Any, base: str) -> None:
    """The category tree of the catalog, indented in position order."""
    page.goto(f"{base}/admin/catalog/category/")
    page.wait_for_selector("#result_list")
    shoot(page, "11-category-tree")


def show_segments_of_product_and_customer(page: Any, base: str, catalog: dict[str, Any]) -> None:
    """A product with its categories and the segments that give it; a customer with theirs."""
    product = catalog["sundress"]
    page.goto(f"{base}/admin/catalog/product/{product.pk}/change/")
    assert "(through a category)" in page.inner_text("fieldset:has(h2:text-is('Segments'))")
    shoot(page, "12-product")
    page.goto(f"{base}/admin/segments/customer/{catalog['alice'].pk}/change/")
    assert "vip" in page.inner_text("fieldset:has(h2:text-is('Segments'))")
    shoot(page, "13-customer")
