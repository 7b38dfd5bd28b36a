"""Segments of three sites, their members and the products and categories they give.

- Segments: most active without end, some in a validity window, some inactive, expired
  or scheduled (fixed dates, see `ids`). Popularity follows a Zipf-like law, so a few
  segments hold a large share of the customers and most hold few.
- Members: most customers are in 1 to 10 segments, a quarter in 11 to 35 (exactly the
  scale's number of assignments in all). B2B customers mostly draw from the b2b site's
  segments and their assignments mostly carry one of their own legal entities.
- Rules: a tenth of the segments carry `criteria` (see `rules.py`); their members are
  drawn like the others', a tenth of them AUTOMATIC, and no evaluation runs here.
- Items: a tenth categories (of every level, the deeper the likelier), the rest products.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from itertools import accumulate
from typing import Any

from segments.models import (
    AssignmentType,
    ItemType,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
    SegmentStatus,
)

from .context import EMPTY_JSON, Context, SegmentInfo
from .ids import EPOCH, FUTURE, PAST, moment, stream
from .rules import plan_rule_segments
from .tables import TableWriter, reserve_pks

SITES = ("main", "outlet", "b2b")
SITE_WEIGHTS = (60, 20, 20)
KINDS = ("open", "window", "inactive", "expired", "scheduled")
KIND_WEIGHTS = (60, 10, 12, 9, 9)
SMALL_MEMBERSHIP = range(1, 11)
LARGE_MEMBERSHIP = range(11, 36)
LARGE_SHARE = 0.25
B2B_WITH_LEGAL_ENTITY = 0.85
CATEGORY_ITEM_SHARE = 0.1
# Chance weights of an assigned category's level, root first.
CATEGORY_ITEM_LEVELS = (0.2, 1.8, 8, 20, 30, 40)


def _validity(kind: str, rng: random.Random) -> tuple[str, Any, Any]:
    days = timedelta(days=rng.randrange(180))
    if kind == "open":
        return SegmentStatus.ACTIVE, None, None
    if kind == "window":
        return SegmentStatus.ACTIVE, EPOCH - timedelta(days=365) + days, FUTURE - days
    if kind == "inactive":
        return SegmentStatus.INACTIVE, None, None
    if kind == "expired":
        return SegmentStatus.ACTIVE, PAST - timedelta(days=400) + days, PAST - days
    return SegmentStatus.ACTIVE, FUTURE + days, None if rng.random() < 0.5 else FUTURE + 2 * days


def _segments(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "segments")
    for index in range(ctx.scale.segments):
        site = rng.choices(SITES, weights=SITE_WEIGHTS)[0]
        kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
        status, valid_from, valid_to = _validity(kind, rng)
        public_id = ctx.segment_id(index)
        ctx.segments.append(SegmentInfo(ctx.segment_pk0 + index, public_id, site, kind))
        created = moment(index)
        yield (
            ctx.segment_pk0 + index,
            ctx.tenant,
            public_id,
            {"en": f"Segment {index} ({site})", "de": f"Segment {index} ({site})"},
            {"en": f"Generated {kind} segment of the {site} site."},
            valid_from,
            valid_to,
            status,
            site,
            ctx.rules.get(index),
            EMPTY_JSON,
            EMPTY_JSON,
            1,
            created,
            created,
        )


SEGMENT_FIELDS = (
    "id",
    "tenant_id",
    "public_id",
    "name",
    "description",
    "valid_from",
    "valid_to",
    "status",
    "site_code",
    "criteria",
    "mixins",
    "metadata_mixins",
    "version",
    "created_at",
    "modified_at",
)


def _adjusted(counts: list[int], target: int, cap: int, rng: random.Random) -> list[int]:
    """`counts` nudged by one at random places, never above `cap` or below 1, until they add
    up to `target`."""
    missing = target - sum(counts)
    while missing:
        index = rng.randrange(len(counts))
        if missing > 0 and counts[index] < cap:
            counts[index] += 1
            missing -= 1
        elif missing < 0 and counts[index] > 1:
            counts[index] -= 1
            missing += 1
    return counts


def _membership_counts(ctx: Context, rng: random.Random) -> list[int]:
    """Segments per customer, adding up to exactly the scale's number of assignments."""
    cap = min(LARGE_MEMBERSHIP[-1], ctx.scale.segments)
    counts = [
        min(cap, rng.choice(LARGE_MEMBERSHIP if rng.random() < LARGE_SHARE else SMALL_MEMBERSHIP))
        for _ in range(ctx.scale.customers)
    ]
    target = min(ctx.scale.customer_assignments, cap * ctx.scale.customers)
    return _adjusted(counts, target, cap, rng)


def _cumulative(ctx: Context, rng: random.Random, site_factor: dict[str, float]) -> list[float]:
    """Cumulative popularity of the segments for one kind of customer."""
    ranks = list(range(len(ctx.segments)))
    rng.shuffle(ranks)
    weights = [
        site_factor[segment.site] / (rank + 1) ** 0.9
        for segment, rank in zip(ctx.segments, ranks, strict=True)
    ]
    return list(accumulate(weights))


def _pick(rng: random.Random, cumulative: Sequence[float], count: int) -> list[int]:
    """`count` distinct segment indexes drawn by popularity."""
    total = len(cumulative)
    if count * 2 > total:
        return sorted(rng.sample(range(total), count))
    chosen: set[int] = set()
    for _ in range(20):
        if len(chosen) >= count:
            break
        chosen.update(rng.choices(range(total), cum_weights=cumulative, k=count - len(chosen)))
    while len(chosen) < count:
        chosen.add(rng.randrange(total))
    return sorted(chosen)


def _members(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "members")
    counts = _membership_counts(ctx, rng)
    popularity = _cumulative(ctx, rng, {"main": 1.0, "outlet": 1.0, "b2b": 0.1})
    b2b_popularity = _cumulative(ctx, rng, {"main": 0.3, "outlet": 0.3, "b2b": 1.0})
    manual, automatic = AssignmentType.MANUAL.value, AssignmentType.AUTOMATIC.value
    for customer, count in enumerate(counts):
        entities = ctx.b2b_links.get(customer)
        chosen = _pick(rng, b2b_popularity if entities else popularity, count)
        created = moment(customer)
        for segment in chosen:
            legal_entity = None
            if entities and rng.random() < B2B_WITH_LEGAL_ENTITY:
                legal_entity = ctx.legal_entity_pk0 + entities[rng.randrange(len(entities))]
            yield (
                ctx.tenant,
                ctx.segment_pk0 + segment,
                ctx.customer_pk0 + customer,
                legal_entity,
                # AUTOMATIC members exist only by a rule: a tenth of a rule segment's
                # members are (before its first evaluation, which keeps those its rule
                # matches and removes the others).
                automatic if rng.random() < 0.1 and segment in ctx.rules else manual,
                EMPTY_JSON,
                EMPTY_JSON,
                1,
                created,
                created,
            )


def _item_counts(ctx: Context, rng: random.Random) -> list[int]:
    """Items per segment, skewed, adding up to exactly the scale's number of item assignments."""
    cap = ctx.scale.products
    weights = [rng.lognormvariate(0, 1) for _ in ctx.segments]
    total_weight = sum(weights)
    target = ctx.scale.item_assignments
    counts = [min(cap, max(1, round(target * weight / total_weight))) for weight in weights]
    return _adjusted(counts, target, cap, rng)


def _items(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "items")
    counts = _item_counts(ctx, rng)
    levels: list[list[int]] = [[] for _ in CATEGORY_ITEM_LEVELS]
    for index, depth in enumerate(ctx.category_depths):
        levels[depth].append(index)
    product, category = ItemType.PRODUCT.value, ItemType.CATEGORY.value
    for segment, count in zip(ctx.segments, counts, strict=True):
        wanted_categories = sum(rng.random() < CATEGORY_ITEM_SHARE for _ in range(count))
        wanted_categories = min(wanted_categories, len(ctx.category_depths) // 2)
        categories: set[int] = set()
        while len(categories) < wanted_categories:
            level = rng.choices(levels, weights=CATEGORY_ITEM_LEVELS)[0]
            categories.add(level[rng.randrange(len(level))])
        products = rng.sample(range(ctx.scale.products), count - len(categories))
        created = moment(segment.pk)
        rows = [(product, ctx.product_pk0 + pk, None) for pk in sorted(products)]
        rows += [(category, None, ctx.category_pk0 + pk) for pk in sorted(categories)]
        for item_type, product_pk, category_pk in rows:
            yield (
                ctx.tenant,
                segment.pk,
                item_type,
                product_pk,
                category_pk,
                EMPTY_JSON,
                EMPTY_JSON,
                1,
                created,
                created,
            )


ASSIGNMENT_TAIL = ("mixins", "metadata_mixins", "version", "created_at", "modified_at")


def generate_segments(ctx: Context, step) -> None:
    ctx.segment_pk0 = reserve_pks(Segment, ctx.scale.segments)
    plan_rule_segments(ctx)
    with step("segments") as done:
        done(TableWriter(Segment, SEGMENT_FIELDS).write(_segments(ctx)))
    with step("customer assignments") as done:
        fields = ("tenant_id", "segment_id", "customer_id", "legal_entity_id", "assignment_type")
        done(
            TableWriter(SegmentCustomerAssignment, (*fields, *ASSIGNMENT_TAIL)).write(_members(ctx))
        )
    with step("item assignments") as done:
        fields = ("tenant_id", "segment_id", "item_type", "product_id", "category_id")
        done(TableWriter(SegmentItemAssignment, (*fields, *ASSIGNMENT_TAIL)).write(_items(ctx)))
