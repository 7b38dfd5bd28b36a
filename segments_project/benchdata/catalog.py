"""A category forest of six levels, products, and each product placed in 1 to 3 categories.

Categories are made level by level, so a parent's primary key (reserved in one block) and
path are known when its children are made: `path` and `depth` are computed in memory with
the rows, never by reading rows back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from catalog.models import Category, CategoryAssignment, Product, tree_key_part

from .context import EMPTY_JSON, Context
from .ids import moment, stream
from .scales import CATEGORY_LEVELS
from .tables import TableWriter, reserve_pks

# Share of the categories on each level, root first.
LEVEL_SHARES = (0.002, 0.018, 0.08, 0.2, 0.3, 0.4)
# Products are placed on the deeper levels.
PLACEMENT_MIN_DEPTH = 2
WORDS = [
    "Garden",
    "Tools",
    "Kitchen",
    "Office",
    "Outdoor",
    "Lighting",
    "Storage",
    "Cleaning",
    "Safety",
    "Electrical",
    "Plumbing",
    "Paint",
    "Furniture",
    "Textiles",
    "Toys",
    "Sports",
    "Audio",
    "Computing",
    "Mobile",
    "Camera",
]
GERMAN = {
    "Garden": "Garten",
    "Tools": "Werkzeug",
    "Kitchen": "Küche",
    "Office": "Büro",
    "Outdoor": "Draußen",
    "Lighting": "Licht",
    "Storage": "Lager",
    "Cleaning": "Reinigung",
    "Safety": "Sicherheit",
    "Electrical": "Elektro",
    "Plumbing": "Sanitär",
    "Paint": "Farbe",
    "Furniture": "Möbel",
    "Textiles": "Textilien",
    "Toys": "Spielzeug",
    "Sports": "Sport",
    "Audio": "Audio",
    "Computing": "Computer",
    "Mobile": "Mobil",
    "Camera": "Kamera",
}


def level_sizes(total: int) -> list[int]:
    """How many categories each level gets: at least one each, `total` in all."""
    sizes = [max(1, round(total * share)) for share in LEVEL_SHARES]
    sizes[-1] = max(1, total - sum(sizes[:-1]))
    return sizes


def _categories(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "categories")
    sizes = level_sizes(ctx.scale.categories)
    assert len(sizes) == CATEGORY_LEVELS
    positions: dict[int | None, int] = defaultdict(int)
    previous_level: list[int] = []
    index = 0
    for depth, size in enumerate(sizes):
        level: list[int] = []
        for _ in range(size):
            parent = rng.choice(previous_level) if previous_level else None
            pk = ctx.category_pk0 + index
            parent_pk = None if parent is None else ctx.category_pk0 + parent
            path = (ctx.category_paths[parent] if parent is not None else "/") + f"{pk}/"
            ctx.category_paths.append(path)
            ctx.category_depths.append(depth)
            position = positions[parent]
            positions[parent] += 1
            # The admin's tree order, as the catalog's services keep it.
            key = (ctx.category_keys[parent] if parent is not None else "") + tree_key_part(
                position, ctx.category_id(index)
            )
            ctx.category_keys.append(key)
            word = WORDS[rng.randrange(len(WORDS))]
            published = depth == 0 or rng.random() < 0.96
            created = moment(index)
            yield (
                pk,
                ctx.tenant,
                ctx.category_id(index),
                parent_pk,
                path,
                depth,
                key,
                f"CAT-{index:07d}",
                {"en": f"{word} {index}", "de": f"{GERMAN[word]} {index}"},
                {"en": f"All about {word.lower()}."},
                {"en": f"{word.lower()}-{index}"},
                [],
                None,
                None,
                position,
                published,
                EMPTY_JSON,
                EMPTY_JSON,
                1,
                created,
                created,
            )
            level.append(index)
            index += 1
        previous_level = level


CATEGORY_FIELDS = (
    "id",
    "tenant_id",
    "public_id",
    "parent_id",
    "path",
    "depth",
    "tree_key",
    "code",
    "name",
    "description",
    "slug",
    "ecn",
    "valid_from",
    "valid_to",
    "position",
    "published",
    "mixins",
    "metadata_mixins",
    "version",
    "created_at",
    "modified_at",
)


def _products(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "products")
    for index in range(ctx.scale.products):
        word = WORDS[rng.randrange(len(WORDS))]
        created = moment(index)
        yield (
            ctx.product_pk0 + index,
            ctx.tenant,
            ctx.product_id(index),
            f"SKU-{index:08d}",
            {"en": f"{word} product {index}", "de": f"{GERMAN[word]} Produkt {index}"},
            rng.random() < 0.97,
            EMPTY_JSON,
            EMPTY_JSON,
            1,
            created,
            created,
        )


def _placements(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "placements")
    deep = [
        index for index, depth in enumerate(ctx.category_depths) if depth >= PLACEMENT_MIN_DEPTH
    ]
    serial = 0
    for product in range(ctx.scale.products):
        wanted = min(len(deep), rng.choices((1, 2, 3), weights=(60, 30, 10))[0])
        chosen: set[int] = set()
        while len(chosen) < wanted:
            chosen.add(deep[rng.randrange(len(deep))])
        created = moment(product)
        for category in sorted(chosen):
            yield (
                ctx.tenant,
                ctx.placement_id(serial),
                ctx.category_pk0 + category,
                ctx.product_pk0 + product,
                created,
                created,
            )
            serial += 1


def generate_catalog(ctx: Context, step) -> None:
    ctx.category_pk0 = reserve_pks(Category, ctx.scale.categories)
    ctx.product_pk0 = reserve_pks(Product, ctx.scale.products)
    with step("categories") as done:
        done(TableWriter(Category, CATEGORY_FIELDS).write(_categories(ctx)))
    with step("products") as done:
        fields = ("id", "tenant_id", "public_id", "code", "name", "published")
        fields += ("mixins", "metadata_mixins", "version", "created_at", "modified_at")
        done(TableWriter(Product, fields).write(_products(ctx)))
    with step("category assignments") as done:
        fields = ("tenant_id", "public_id", "category_id", "product_id")
        done(
            TableWriter(CategoryAssignment, (*fields, "created_at", "modified_at")).write(
                _placements(ctx)
            )
        )
