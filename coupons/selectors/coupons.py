"""Reads of coupons, always scoped to one tenant: one coupon or a list, with their status
and redemption counts."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, TextField
from django.db.models.functions import Cast

from segments_project.errors import NotFound

from ..models import Coupon, Redemption
from ..querysets import CouponQuerySet


def coupon_not_found(code: str) -> NotFound:
    return NotFound(f"The coupon with code {code} has not been found.", resource_id=code)


def coupons_of_tenant(*, tenant: str, at: datetime, show_deleted: bool = False) -> CouponQuerySet:
    """The tenant's coupons with `status` (at `at`) and `redemption_count` annotated, ready
    to filter, sort and render; soft-deleted ones only with `show_deleted`."""
    coupons = Coupon.objects.for_tenant(tenant).with_status(at)
    return coupons if show_deleted else coupons.not_deleted()


def coupons_restricted_to_segment(
    *, tenant: str, segment_id: str, at: datetime, limit: int
) -> list[Coupon]:
    """The tenant's coupons (not deleted) only members of the segment may redeem, by code,
    at most `limit`; in one query.

    `segment_ids` is a JSON list: the query narrows by its text (portable to SQLite, which
    has no JSON containment), the exact membership is checked on the rows it returns.
    """
    candidates = (
        coupons_of_tenant(tenant=tenant, at=at)
        .alias(segment_ids_text=Cast("segment_ids", TextField()))
        .filter(segment_restricted=True, segment_ids_text__contains=json.dumps(segment_id))
        .order_by("public_id")
    )
    return [coupon for coupon in candidates if segment_id in coupon.segment_ids][:limit]


def coupon_get(*, tenant: str, code: str, at: datetime) -> Coupon:
    """The coupon with its status annotations, deleted or not; NotFound whether it is
    missing or of another tenant."""
    coupon = coupons_of_tenant(tenant=tenant, at=at, show_deleted=True).filter(public_id=code)
    found = coupon.first()
    if found is None:
        raise coupon_not_found(code)
    return found


def coupon_lookup(*, tenant: str, code: str) -> Coupon:
    """The coupon row, deleted or not, without annotations; NotFound as `coupon_get`."""
    coupon = Coupon.objects.for_tenant(tenant).filter(public_id=code).first()
    if coupon is None:
        raise coupon_not_found(code)
    return coupon


def coupon_visible_to_customer(coupon: Coupon, customer_id: str | None) -> bool:
    """A customer (or an anonymous caller, None) sees live coupons not reserved for others."""
    if coupon.deleted:
        return False
    return not coupon.valid_for or customer_id in coupon.valid_for


def legal_entity_counts(coupons: Iterable[Coupon]) -> dict[int, dict[str, int]]:
    """{coupon pk: {legal entity id: redemptions}} for a page of coupons, in one query."""
    pks = [coupon.pk for coupon in coupons]
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not pks:
        return counts
    rows = (
        Redemption.objects.filter(coupon_id__in=pks)
        .exclude(legal_entity_public_id="")
        .order_by()
        .values_list("coupon_id", "legal_entity_public_id")
        .annotate(total=Count("pk"))
    )
    for coupon_pk, legal_entity, total in rows:
        counts[coupon_pk][legal_entity] = total
    return counts
