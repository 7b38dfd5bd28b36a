"""In a real headless Chromium: the select2 pickers rank the best match first (issue 20,
item 1), and the coupon form's segment picker offers the chosen tenant's segments only
(item 4).

Screenshots (1400x1000, the window) go to `$ADMIN_SCREENSHOTS_DIR` when set (the ones in
`docs/admin/` were taken so), else to `artifacts/admin/`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from segments_project.tenancy.models import Tenant
from tests.catalog.factories import make_category, make_product
from tests.segments.factories import make_segment

from . import test_browser
from .test_browser import ARTIFACTS, log_in, make_merchandiser, search_picker

pytestmark = test_browser.pytestmark
page = test_browser.page


def snap(page: Any, name: str) -> None:
    """The window as people see it (not the full page), small enough to commit."""
    folder = Path(os.environ.get("ADMIN_SCREENSHOTS_DIR") or ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


@pytest.fixture
def two_shops(transactional_db: Any) -> dict[str, Any]:
    """Tenant acme with products whose names share a prefix (the exact match "Audio
    product 1" created last, so that id order puts it last) and segments; tenant globex
    with segments of its own; a merchandiser granted both tenants."""
    acme, _ = Tenant.objects.get_or_create(name="acme")
    globex, _ = Tenant.objects.get_or_create(name="globex")
    for index, number in enumerate((16978, 1203, 1777, 19, 100, 1)):
        make_product("acme", f"a{index}", name=f"Audio product {number}", code=f"SKU-{number}")
    audio = make_category("acme", "audio", name="Audio")
    make_category("acme", "headphones", parent=audio, name="Headphones")
    gold = make_segment("acme", "gold")
    for tenant, segment_id, name in (("acme", "silver", "Silver club"),
                                     ("globex", "gx-vip", "Globex VIP"),
                                     ("globex", "gx-staff", "Globex staff")):  # fmt: skip
        segment = make_segment(tenant, segment_id)
        segment.name = {"en": name}
        segment.save()
    make_merchandiser(acme, globex)
    return {"gold": gold}


def open_picker(page: Any, field_id: str, text: str) -> list[str]:
    """Types `text` in the field's select2 picker; the options it offers, dropdown open."""
    search_picker(page, field_id, text)
    return page.locator(".select2-results__option").all_inner_texts()


def test_the_product_picker_ranks_the_exact_match_first(page: Any, live_server: Any, two_shops):
    base = live_server.url
    log_in(page, base)
    page.goto(f"{base}/admin/segments/segment/{two_shops['gold'].pk}/items/")

    options = open_picker(page, "id_product", "Audio product 1")
    snap(page, "picker")

    assert options[0].startswith("a5 — Audio product 1 "), options
    assert "SKU-1" in options[0]
    assert options[1].startswith("a4 — Audio product 100 "), options  # prefix, then by name


def test_the_coupon_forms_segment_picker_offers_the_chosen_tenants_segments_only(
    page: Any, live_server: Any, two_shops
):
    base = live_server.url
    log_in(page, base)
    page.goto(f"{base}/admin/coupons/coupon/add/")
    page.select_option("#id_tenant", "acme")

    options = open_picker(page, "id_segment_ids", "")
    snap(page, "coupon-segments")

    assert options and all(not option.startswith("gx-") for option in options), options
    assert any(option.startswith("silver") for option in options), options
