"""The query parameters of the category lists and trees, as django-filter filter sets."""

from __future__ import annotations

from typing import Any

from segments_project.api.documents import clean_id, invalid
from segments_project.api.filters import (
    BooleanParameter,
    IntegerParameter,
    QueryFilterSet,
    StringParameter,
)

from ..models import Category

MAX_CATEGORY_IDS = 200


def parse_depth(raw: str, name: str) -> int:
    """Levels below the category: a whole number of at least 1."""
    if not raw.isdigit() or int(raw) < 1:
        raise invalid(name, f"{name} must be a whole number of at least 1.")
    return int(raw)


def parse_category_ids(raw: str, name: str) -> list[str] | None:
    """`categoryIds=a,b`: at most 200 ids; empty is none."""
    if not raw:
        return None
    root_ids = [clean_id(part.strip(), name) for part in raw.split(",")]
    if len(root_ids) > MAX_CATEGORY_IDS:
        raise invalid(name, f"At most {MAX_CATEGORY_IDS} {name}.")
    return root_ids


def search_category_ids(body: Any) -> list[str]:
    """The `categoryIds` of a tree search body: required, a list of 0 to 200 ids."""
    if not isinstance(body, dict):
        raise invalid("body", "The search body must be an object with categoryIds.")
    ids = body.get("categoryIds")
    if ids is None:
        raise invalid("categoryIds", "categoryIds must not be null.", type="required")
    if not isinstance(ids, list) or len(ids) > MAX_CATEGORY_IDS:
        raise invalid("categoryIds", f"categoryIds must be a list of at most {MAX_CATEGORY_IDS}.")
    return [clean_id(category_id, "categoryIds") for category_id in ids]


class CategoryReadFilterSet(QueryFilterSet):
    """What every read of categories takes: whether unpublished ones are shown."""

    showUnpublished = BooleanParameter(
        help_text="Include unpublished categories (needs category.category_read_unpublished)."
    )

    class Meta:
        model = Category
        fields = ()


class CategoryListFilterSet(CategoryReadFilterSet):
    showRoots = BooleanParameter(help_text="Only root categories.")


class SubcategoryFilterSet(CategoryReadFilterSet):
    depth = IntegerParameter(parse=parse_depth, help_text="Levels below the category.")


class CategoryTreesFilterSet(CategoryReadFilterSet):
    categoryIds = StringParameter(
        parse=parse_category_ids, help_text="Comma-separated roots of the trees."
    )
