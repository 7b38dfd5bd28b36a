"""The query parameters of the category assignment lists, as django-filter filter sets."""

from __future__ import annotations

from segments_project.api.documents import clean_id, invalid
from segments_project.api.filters import (
    BooleanParameter,
    QueryFilterSet,
    RepeatedStringParameter,
    StringParameter,
)

from ..documents.assignments import product_id_filter
from ..models import CategoryAssignment

MAX_SEGMENT_IDS = 200
SHOW_UNPUBLISHED = "Also answer for unpublished categories and those under an unpublished one."


def segment_id_filter(raw: str, name: str = "segmentsIds") -> list[str]:
    """`segmentsIds=a,b`: the segments whose categories the list is narrowed to."""
    ids = [clean_id(part.strip(), name) for part in raw.split(",") if part.strip()]
    if not ids or len(ids) > MAX_SEGMENT_IDS:
        raise invalid(name, f"{name} names 1 to {MAX_SEGMENT_IDS} segments.")
    return ids


class CategoryAssignmentFilterSet(QueryFilterSet):
    ref_id = RepeatedStringParameter(
        param="ref.id",
        parse=lambda values, name: product_id_filter(values),
        help_text="Only these products (comma-separated ids).",
    )
    showUnpublished = BooleanParameter(help_text=SHOW_UNPUBLISHED)
    withSubcategories = BooleanParameter(
        help_text="Also the assignments of every descendant category."
    )
    hideUnpublishedProducts = BooleanParameter(help_text="Leave out unpublished products.")
    segmentsIds = StringParameter(
        parse=segment_id_filter,
        help_text=(
            "Comma-separated segment ids: only assignments whose category is assigned to one "
            "of them, itself or through an ancestor."
        ),
    )

    class Meta:
        model = CategoryAssignment
        fields = ()


class ProductCategoriesFilterSet(QueryFilterSet):
    showUnpublished = BooleanParameter(help_text=SHOW_UNPUBLISHED)
    expandSupercategoriesIds = BooleanParameter(
        help_text="Add supercategoriesIds: the ids of every ancestor, root first."
    )

    class Meta:
        model = CategoryAssignment
        fields = ()
