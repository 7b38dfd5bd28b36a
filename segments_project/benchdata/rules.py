"""Behaviour facts in `mixins` and the rule segments (`criteria`) that select on them.

- Customers: most have `orders` (`count`, `totalSpent`, `lastOrderAt` in the service's UTC
  timestamp format, `firstOrderAt`), many a `loyalty` programme (`points`, `tier`), some a
  `newsletter` flag: the facts an integration keeps in `mixins` and rules select on.
- Legal entities: an `industry`, a number of `employees` and a `creditLimit`.
- Rule segments: a tenth of the segments (200 of 2,000 at M) carry `criteria` built from
  the templates below with drawn values: profile fields, mixin paths, relative dates, some
  with `legalEntities`. Each template is tuned to select between a few percent and a
  third or so of the customers, as merchandisers' rules do.

`lastOrderAt` counts back from `Context.today` (the day of generation, at midnight UTC), so
that relative-date rules (`mixins.orders.lastOrderAt:>="-30d"`) select realistic
fractions whatever the day; everything else is a function of the seed alone. Each kind of
data draws from a random stream of its own, so the names, profiles and memberships stay
those of datasets made before the rules.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from segments_project.api.documents import format_datetime

from .context import Context
from .ids import stream

RULE_SEGMENT_SHARE = 0.1

LOYALTY_TIERS = (("bronze", 0), ("silver", 1_000), ("gold", 3_000), ("platinum", 8_000))
INDUSTRIES = ("retail", "manufacturing", "logistics", "healthcare", "construction", "media")
COUNTRIES = ("DE", "AT", "CH", "FR", "NL", "IT")
CITIES = ("Berlin", "Hamburg", "München", "Wien", "Zürich", "Paris", "Amsterdam", "Milano")
LANGUAGE_GROUPS = ("de,de_DE", "en_US,en_GB", "fr_FR", "de,de_DE,en_US", "it_IT,nl_NL")


def customer_mixins(rng: random.Random, ctx: Context) -> dict[str, Any]:
    """One customer's behaviour facts: 85% have ordered, 60% are in the loyalty programme."""
    mixins: dict[str, Any] = {}
    if rng.random() < 0.85:
        count = 1 + int(rng.expovariate(1 / 4))
        # Days since the last order: many recent buyers, a long tail of lapsed ones.
        days = min(int(rng.expovariate(1 / 120)), 1_500)
        last = ctx.today - timedelta(days=days, seconds=rng.randrange(86_400))
        first = last - timedelta(days=int(rng.expovariate(1 / 300)) if count > 1 else 0)
        mixins["orders"] = {
            "count": count,
            "totalSpent": round(count * rng.lognormvariate(4.0, 0.8), 2),
            "lastOrderAt": format_datetime(last),
            "firstOrderAt": format_datetime(first),
        }
    if rng.random() < 0.6:
        points = int(rng.expovariate(1 / 1_500))
        tier = next(name for name, floor in reversed(LOYALTY_TIERS) if points >= floor)
        mixins["loyalty"] = {"points": points, "tier": tier}
    if rng.random() < 0.5:
        mixins["newsletter"] = rng.random() < 0.7
    return mixins


def legal_entity_mixins(rng: random.Random) -> dict[str, Any]:
    employees = int(rng.lognormvariate(3.5, 1.3)) + 1
    return {
        "industry": rng.choice(INDUSTRIES),
        "employees": employees,
        "creditLimit": 1_000 * rng.choice((5, 10, 25, 50, 100, 250)),
    }


# Each template draws its values and returns the criteria; the first is the issue's
# three-condition rule with a mixin path (the preview benchmark's rule).
def _loyal_locals(rng: random.Random) -> dict[str, str]:
    country = rng.choice(("DE", "DE", "AT", "CH"))
    points = rng.choice((200, 500, 1_000))
    languages = rng.choice(("de,de_DE", "de,de_DE,en_US", "en_US,en_GB,de"))
    return {
        "q": f"addresses.country:{country} mixins.loyalty.points:>={points}"
        f" preferredLanguage:({languages})"
    }


def _big_spenders(rng: random.Random) -> dict[str, str]:
    return {"q": f"mixins.orders.totalSpent:>={rng.choice((250, 500, 1000))} active:true"}


def _recent_buyers(rng: random.Random) -> dict[str, str]:
    return {"q": f'mixins.orders.lastOrderAt:>="-{rng.choice((7, 14, 30, 60))}d"'}


def _lapsed(rng: random.Random) -> dict[str, str]:
    days = rng.choice((90, 180, 365))
    return {
        "q": f'mixins.orders.lastOrderAt:<"-{days}d" mixins.orders.count:>=2'
        f" addresses.country:({','.join(rng.sample(COUNTRIES, 3))})"
    }


def _tiers(rng: random.Random) -> dict[str, str]:
    tiers = [name for name, _ in LOYALTY_TIERS]
    start = rng.randrange(1, len(tiers))
    return {"q": f"mixins.loyalty.tier:({','.join(tiers[start:])}) onHold:false"}


def _spend_band(rng: random.Random) -> dict[str, str]:
    low = rng.choice((50, 100, 200))
    return {
        "q": f"mixins.orders.totalSpent:(>={low} AND <{low * 4})"
        f" preferredLanguage:({rng.choice(LANGUAGE_GROUPS)})"
    }


def _city_newsletter(rng: random.Random) -> dict[str, str]:
    return {"q": f'addresses.city:"{rng.choice(CITIES)}" mixins.newsletter:true'}


def _currency_points(rng: random.Random) -> dict[str, str]:
    currency, points = rng.choice((("CHF", 100), ("CHF", 500), ("EUR", 2000), ("EUR", 4000)))
    return {"q": f"preferredCurrency:{currency} mixins.loyalty.points:>={points}"}


def _b2b_industry(rng: random.Random) -> dict[str, str]:
    industries = ",".join(rng.sample(INDUSTRIES, 2))
    return {"legalEntities": f"mixins.industry:({industries})"}


def _b2b_large_accounts(rng: random.Random) -> dict[str, str]:
    return {
        "q": f"preferredSite:b2b mixins.orders.totalSpent:>={rng.choice((500, 2000))}",
        "legalEntities": f"mixins.employees:>={rng.choice((50, 100, 250))}",
    }


TEMPLATES: tuple[tuple[Callable[[random.Random], dict[str, str]], int], ...] = (
    (_loyal_locals, 20),
    (_big_spenders, 12),
    (_recent_buyers, 12),
    (_lapsed, 12),
    (_tiers, 10),
    (_spend_band, 10),
    (_city_newsletter, 8),
    (_currency_points, 6),
    (_b2b_industry, 6),
    (_b2b_large_accounts, 4),
)


def plan_rule_segments(ctx: Context) -> None:
    """Chooses which segments carry a rule and draws each rule (`ctx.rules`): a tenth of the
    segments, the first of them the three-condition rule of the preview benchmark."""
    rng = stream(ctx.seed, "segment-rules")
    count = max(1, round(ctx.scale.segments * RULE_SEGMENT_SHARE))
    chosen = sorted(rng.sample(range(ctx.scale.segments), count))
    templates = [template for template, _ in TEMPLATES]
    weights = [weight for _, weight in TEMPLATES]
    ctx.rules = {}
    for position, index in enumerate(chosen):
        template = templates[0] if position == 0 else rng.choices(templates, weights)[0]
        ctx.rules[index] = template(rng)
