"""Coupons: percent, absolute and free-shipping ones; some segment- or category-restricted,
some expired, some with a minimum order value or redemption limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from coupons.models import Coupon, DiscountCalculationType, DiscountType

from .context import EMPTY_JSON, Context
from .ids import FUTURE, PAST, moment, stream
from .tables import TableWriter

CURRENCY = "EUR"
UNLIMITED = -1
# Before the end of the expired ones, so every validity window is ordered.
VALID_FROM = PAST - timedelta(days=365)

COUPON_FIELDS = (
    "tenant_id",
    "public_id",
    "name",
    "description",
    "discount_type",
    "discount_percentage",
    "discount_amount",
    "discount_currency",
    "allow_anonymous",
    "max_redemptions",
    "max_redemptions_per_customer",
    "discount_calculation_type",
    "category_restricted",
    "included_categories",
    "excluded_categories",
    "segment_restricted",
    "segment_ids",
    "valid_for",
    "valid_from",
    "valid_until",
    "min_order_amount",
    "min_order_currency",
    "issued_to",
    "referral_coupon",
    "deleted",
    "mixins",
    "metadata_mixins",
    "version",
    "created_at",
    "modified_at",
)


def _coupons(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "coupons")
    live_segments = [segment.public_id for segment in ctx.segments if segment.live]
    for index in range(ctx.scale.coupons):
        discount_type = rng.choices(
            (DiscountType.PERCENT, DiscountType.ABSOLUTE, DiscountType.FREE_SHIPPING),
            weights=(50, 30, 20),
        )[0]
        percentage = amount = None
        currency = ""
        if discount_type == DiscountType.PERCENT:
            percentage = Decimal(rng.randrange(5, 51))
        elif discount_type == DiscountType.ABSOLUTE:
            amount, currency = Decimal(rng.randrange(5, 51)), CURRENCY
        restriction = rng.choices(("segment", "category", "none"), weights=(30, 10, 60))[0]
        segment_ids: list[str] = []
        included: list[str] = []
        if restriction == "segment" and live_segments:
            segment_ids = rng.sample(live_segments, min(len(live_segments), rng.randint(1, 3)))
        elif restriction == "category":
            included = [
                ctx.category_id(rng.randrange(ctx.scale.categories))
                for _ in range(rng.randint(1, 2))
            ]
        expired = rng.random() < 0.1
        with_minimum = rng.random() < 0.3
        created = moment(index)
        yield (
            ctx.tenant,
            ctx.coupon_code(index),
            f"Coupon {index}",
            f"Generated {discount_type.lower()} coupon, {restriction} restriction.",
            discount_type.value,
            percentage,
            amount,
            currency,
            rng.random() < 0.2,
            UNLIMITED if rng.random() < 0.9 else rng.randrange(1_000, 100_000),
            UNLIMITED if rng.random() < 0.7 else rng.randint(1, 5),
            DiscountCalculationType.SUBTOTAL.value,
            bool(included),
            included,
            [],
            bool(segment_ids),
            segment_ids,
            [],
            VALID_FROM,
            PAST if expired else (None if rng.random() < 0.5 else FUTURE),
            Decimal(rng.randrange(20, 201)) if with_minimum else None,
            CURRENCY if with_minimum else "",
            "",
            False,
            False,
            EMPTY_JSON,
            EMPTY_JSON,
            1,
            created,
            created,
        )


def generate_coupons(ctx: Context, step) -> None:
    with step("coupons") as done:
        done(TableWriter(Coupon, COUPON_FIELDS).write(_coupons(ctx)))
