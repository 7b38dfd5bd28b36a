"""In a real headless Chromium: the storefront preview of a customer as a collapsed category
tree with counts, attribution on the nodes a segment gives, and the segments that do not
count now with their reason; and the segment's page with its status and history.

Screenshots go to `artifacts/admin/`, and to `$ADMIN_SCREENSHOTS_DIR` as well when that is
set (`docs/admin/` keeps the ones people look at).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from segments.models import Segment
from segments_project.tenancy.models import Tenant
from tests.catalog.factories import make_assignment, make_category, make_product
from tests.segments.factories import assign_customer, assign_item, make_customer, make_segment

from . import test_browser
from .test_browser import log_in, make_merchandiser, shoot

# The browser tests' marks (slow, browser, skipped without Chromium) and Chromium tab.
pytestmark = test_browser.pytestmark
page = test_browser.page


def shoot_for_docs(page: Any, name: str) -> None:
    """The page to `artifacts/admin/`, and to `$ADMIN_SCREENSHOTS_DIR` when set."""
    shoot(page, name)
    target = os.environ.get("ADMIN_SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


@pytest.fixture
def storefront(transactional_db: Any) -> dict[str, Any]:
    """Tenant acme: Electronics > Audio > Headphones | Speakers, Electronics > Computers,
    Fashion; alice a member of audio (gives Audio), vip (gives Headphones and a laptop),
    and of a scheduled, an expired, an inactive and another site's segment."""
    tenant, _ = Tenant.objects.get_or_create(name="acme")
    Tenant.objects.filter(name="acme").update(time_zone="Europe/Berlin")
    now = timezone.now()
    electronics = make_category("acme", "electronics", name="Electronics", position=0)
    audio = make_category("acme", "audio", parent=electronics, name="Audio", position=0)
    headphones = make_category("acme", "headphones", parent=audio, name="Headphones", position=0)
    speakers = make_category("acme", "speakers", parent=audio, name="Speakers", position=1)
    computers = make_category("acme", "computers", parent=electronics, name="Computers")
    fashion = make_category("acme", "fashion", name="Fashion", position=1)
    for number, category in enumerate([headphones, headphones, speakers, computers, fashion]):
        make_assignment(category, make_product("acme", f"p{number}", name=f"Product {number}"))
    laptop = make_product("acme", "laptop", name="Laptop")
    make_assignment(computers, laptop)
    alice = make_customer("acme", "alice")
    audio_fans = make_segment("acme", "audio-fans")
    vip = make_segment("acme", "vip")
    vip.name = {"en": "VIP customers", "de": "VIP-Kunden"}
    vip.mixins = {"tier": "gold"}
    vip.save()
    segments = [
        audio_fans,
        vip,
        make_segment("acme", "summer", valid_from=now + timedelta(days=30)),
        make_segment("acme", "last-year", valid_to=now - timedelta(days=30)),
        make_segment("acme", "paused", status="INACTIVE"),
        make_segment("acme", "outlet-only", site="outlet"),
    ]
    for segment in segments:
        assign_customer(segment, alice)
    assign_item(audio_fans, audio)
    assign_item(vip, headphones)
    assign_item(vip, laptop)
    for segment in segments[2:]:
        assign_item(segment, fashion)
    make_merchandiser(tenant, apps=("segments", "catalog", "coupons", "audit"))
    return {"vip": vip, "alice": alice}


def test_preview_tree_collapsed_with_attribution(page: Any, live_server: Any, storefront):
    # Given a merchandiser on the page of segment vip.
    base = live_server.url
    log_in(page, base)
    vip: Segment = storefront["vip"]
    page.goto(f"{base}/admin/segments/segment/{vip.pk}/change/")
    # A name change shows in the page's history as text, and as the only change.
    page.fill("#id_name__en", "VIP members")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    latest = page.inner_text("#latest-changes")
    assert "VIP customers (en), VIP-Kunden (de) → VIP members (en), VIP-Kunden (de)" in latest
    assert "mixins" not in latest
    assert " CET" in page.inner_text(".field-created_at")
    shoot_for_docs(page, "segment")
    page.fill("#id_name__en", "VIP customers")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    # When they preview alice's storefront on site main.
    page.goto(
        f"{base}/admin/segments/segment/preview/"
        f"?segment={vip.pk}&customer={storefront['alice'].pk}&site=main"
    )
    page.wait_for_selector("#preview-categories")

    # Then the tree shows its roots collapsed, with counts and no attribution on the path.
    page.wait_for_selector("li[data-category=electronics]")
    electronics = page.locator("li[data-category=electronics]")
    assert electronics.locator(":scope > details > summary").inner_text().startswith("Electronics")
    assert "3 products" in electronics.locator(":scope > details > summary").inner_text()
    assert not page.locator("li[data-category=audio]").is_visible()
    assert "given by" not in electronics.locator(":scope > details > summary").inner_text()
    # And the segments that do not count now say why.
    not_counting = page.inner_text("#preview-not-counting")
    for reason in ("not yet active", "expired", "inactive", "other site (outlet)"):
        assert reason in not_counting

    # And the page holds only that level: a category's subcategories load when it opens.
    assert page.locator("li[data-category=audio]").count() == 0

    # When they open Electronics and then Audio.
    electronics.locator(":scope > details > summary .seg-node-name").click()
    audio = page.locator("li[data-category=audio]")
    audio.wait_for(state="visible")
    audio.locator(":scope > details > summary .seg-node-name").click()
    page.locator("li[data-category=headphones]").wait_for(state="visible")

    # Then Audio is given by Audio-Fans, Headphones by VIP customers, Speakers by nobody.
    assert "given by Audio-Fans" in audio.locator(":scope > details > summary").inner_text()
    headphones = page.locator("li[data-category=headphones]")
    assert headphones.is_visible()
    assert "given by VIP customers" in headphones.inner_text()
    assert "given by" not in page.locator("li[data-category=speakers]").inner_text()
    shoot_for_docs(page, "preview")

    # And a category's "why?" opens its explanation.
    headphones.locator("a.seg-explain").click()
    page.wait_for_selector("#explain-item")
    assert "visible" in page.inner_text("#explain-item")
