"""The coupons panel of a segment's admin page (`segments.hooks.SEGMENT_PAGE_PANELS`):
the coupons restricted to the segment, read-only, each linked to its own page.

Connected in `CouponsConfig.ready()`: segments sit below coupons and cannot import them.
"""

from __future__ import annotations

from django.utils import timezone

from segments.hooks import PreviewPanel, SegmentOnPage

from ..models import CouponStatus
from ..selectors.coupons import coupons_restricted_to_segment

SHOWN_COUPONS = 100


def segment_coupons_panel(segment: SegmentOnPage) -> PreviewPanel:
    coupons = coupons_restricted_to_segment(
        tenant=segment.tenant_id,
        segment_id=segment.public_id,
        at=timezone.now(),
        limit=SHOWN_COUPONS + 1,
    )
    rows = [(coupon, CouponStatus(coupon.status).label) for coupon in coupons[:SHOWN_COUPONS]]
    return PreviewPanel(
        name="coupons",
        template="admin/coupons/segment_panel.html",
        context={"rows": rows, "more": len(coupons) > SHOWN_COUPONS, "limit": SHOWN_COUPONS},
    )
