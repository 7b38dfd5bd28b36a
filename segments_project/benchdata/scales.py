"""How much data each scale makes: M is the reference, S a tenth of it, L ten times it.

XS (a hundredth of S) is for tests and the benchmark's smoke run; small counts have
floors so that even the tiniest tenant has enough segments and categories to be realistic
(a customer is in up to 35 segments, a category tree has 6 levels).
"""

from __future__ import annotations

from dataclasses import dataclass

# Scale name -> factor relative to M.
FACTORS: dict[str, float] = {"XS": 0.001, "S": 0.1, "M": 1.0, "L": 10.0}
PUBLIC_SCALES = ("S", "M", "L")

# The reference counts, at M.
_M = {
    "customers": 100_000,
    "legal_entities": 5_000,
    "segments": 2_000,
    "customer_assignments": 1_000_000,
    "categories": 20_000,
    "products": 200_000,
    "item_assignments": 300_000,
    "coupons": 500,
}
_FLOORS = {
    "customers": 50,
    "legal_entities": 5,
    "segments": 40,
    "customer_assignments": 500,
    "categories": 60,
    "products": 100,
    "item_assignments": 200,
    "coupons": 20,
}

B2B_SHARE = 0.2
CATEGORY_LEVELS = 6


@dataclass(frozen=True)
class Scale:
    name: str
    factor: float
    customers: int
    legal_entities: int
    segments: int
    customer_assignments: int
    categories: int
    products: int
    item_assignments: int
    coupons: int

    @property
    def b2b_customers(self) -> int:
        return round(self.customers * B2B_SHARE)

    def as_dict(self) -> dict[str, int | float | str]:
        return {name: getattr(self, name) for name in ("name", "factor", *_M)}


def scale_for(name: str, factor: float | None = None) -> Scale:
    """The counts of a named scale, or of an explicit factor of M (named `name`)."""
    if factor is None:
        try:
            factor = FACTORS[name]
        except KeyError:
            raise ValueError(f"Unknown scale {name!r}; one of {', '.join(FACTORS)}.") from None
    if factor <= 0:
        raise ValueError("The factor must be positive.")
    counts = {key: max(_FLOORS[key], round(value * factor)) for key, value in _M.items()}
    # Every customer is in at least one segment, and none in more than MAX_SEGMENTS.
    counts["customer_assignments"] = max(counts["customer_assignments"], counts["customers"])
    return Scale(name=name, factor=factor, **counts)
