"""The coupons panel of a segment's admin page (`segments.hooks.SEGMENT_PAGE_PANELS`):
the coupons restricted to the segment, read-only, each linked to its own page.

Connected in `CouponsConfig.ready()`: segments sit below coupons and cannot import them.
"""

from __future__ import annotations

from django.utils import timezone

from segments.hooks import PreviewPanel, SegmentOnPage
from segments_project.admin.status import lifecycle_badge

from ..selectors.coupons import coupons_restricted_to_segment
from .coupons import coupon_lifecycle

SHOWN_COUPONS = 100


def segment_coupons_panel(segment: SegmentOnPage) -> PreviewPanel:
    now = timezone.now()
    coupons = coupons_restricted_to_segment(
        tenant=segment.tenant_id, segment_id=segment.public_id, at=now, limit=SHOWN_COUPONS + 1
    )
    # In the admin's one status vocabulary, as on the coupon list.
    rows = [
        (coupon, lifecycle_badge(coupon_lifecycle(coupon, now), api_status=coupon.status))
        for coupon in coupons[:SHOWN_COUPONS]
    ]
    return PreviewPanel(
        name="coupons",
        template="admin/coupons/segment_panel.html",
        context={"rows": rows, "more": len(coupons) > SHOWN_COUPONS, "limit": SHOWN_COUPONS},
    )
