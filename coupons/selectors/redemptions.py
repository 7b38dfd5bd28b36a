"""Reads of a coupon's redemptions, always scoped to its tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from segments_project.errors import NotFound

from ..models import Coupon, Redemption


def redemptions_of_coupon(
    *, coupon: Coupon, customer_number: str | None = None
) -> QuerySet[Redemption]:
    """The coupon's redemptions with the coupon joined; only one customer's when given."""
    redemptions = Redemption.objects.for_tenant(coupon.tenant_id).filter(coupon=coupon)
    if customer_number is not None:
        redemptions = redemptions.filter(customer_number=customer_number)
    return redemptions.select_related("coupon")


def redemption_get(
    *, coupon: Coupon, redemption_id: str, customer_number: str | None = None
) -> Redemption:
    """The coupon's redemption; NotFound when missing, of another coupon or tenant, or (with
    `customer_number`) of another customer."""
    redemption = (
        redemptions_of_coupon(coupon=coupon, customer_number=customer_number)
        .filter(public_id=redemption_id)
        .first()
    )
    if redemption is None:
        raise NotFound(
            f"The redemption with id {redemption_id} has not been found.",
            resource_id=redemption_id,
        )
    return redemption
