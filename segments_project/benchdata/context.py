"""What the generator's steps share: the tenant, the seed, the counts and the keys made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from .ids import IdMaker
from .scales import Scale

EMPTY_JSON: dict = {}


@dataclass
class SegmentInfo:
    pk: int
    public_id: str
    site: str
    # "open", "window", "inactive", "expired" or "scheduled"
    kind: str

    @property
    def live(self) -> bool:
        """Active and valid now (and for years to come)."""
        return self.kind in ("open", "window")


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Context:
    tenant: str
    seed: int
    scale: Scale
    # First reserved primary key of each table; row i has pk0 + i.
    legal_entity_pk0: int = 0
    customer_pk0: int = 0
    category_pk0: int = 0
    product_pk0: int = 0
    segment_pk0: int = 0
    # B2B customer index -> indexes of the legal entities it acts for.
    b2b_links: dict[int, tuple[int, ...]] = field(default_factory=dict)
    category_paths: list[str] = field(default_factory=list)
    category_keys: list[str] = field(default_factory=list)
    category_depths: list[int] = field(default_factory=list)
    segments: list[SegmentInfo] = field(default_factory=list)
    # Segment index -> its rule (`criteria`), for the tenth of the segments that have one.
    rules: dict[int, dict[str, str]] = field(default_factory=dict)
    # What relative dates in the data count back from (`rules.py`): the day of generation.
    today: datetime = field(default_factory=lambda: _midnight(datetime.now(UTC)))

    def __post_init__(self) -> None:
        seed = self.seed
        self.customer_id = IdMaker(seed, "customer", "C", 48)
        self.legal_entity_id = IdMaker(seed, "legal-entity", "LE", 40)
        self.category_id = IdMaker(seed, "category", "cat-", 40)
        self.product_id = IdMaker(seed, "product", "P", 48)
        self.segment_id = IdMaker(seed, "segment", "seg-", 40)
        self.coupon_code = IdMaker(seed, "coupon", "BENCH", 32, upper=True)
        self.placement_id = IdMaker(seed, "category-assignment", "", 96)
