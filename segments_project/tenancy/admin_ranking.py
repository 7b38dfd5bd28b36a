"""Best match first, for the admin's pickers and its name columns.

A picker's results are ranked in the query itself: rows with an id, code, email or name
equal to the typed term (case-insensitively) first, then rows where one of them starts
with it, then the rest; within a rank by name, then by primary key. So "Audio product 1"
comes before "Audio product 16978", and the page the autocomplete paginates is the
database's order, whatever the number of matches.

Localized names (a JSON object of language to text) are compared and sorted in the
default language (`settings.LANGUAGE_CODE`), read with a key transform the database
evaluates.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db.models import (
    Case,
    Expression,
    F,
    IntegerField,
    JSONField,
    Model,
    OrderBy,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower

# What an admin names as a text to match or sort by: a field name or an expression.
TextSource = str | Expression

EXACT, PREFIX, OTHER = 0, 1, 2


def default_language() -> str:
    return settings.LANGUAGE_CODE.split("-")[0]


def text_of(model: type[Model], source: TextSource) -> Expression:
    """The text of a field (a localized name's default-language text) or the expression."""
    if not isinstance(source, str):
        return source
    if isinstance(model._meta.get_field(source), JSONField):
        return KeyTextTransform(default_language(), source)
    return F(source)


# The annotation admin lists sort by name with.
NAME_SORT = "name_sort"


def name_key(model: type[Model], name: TextSource) -> Expression:
    """What rows sort by name by: the name's text in lower case."""
    return Lower(text_of(model, name))


def by_name(model: type[Model], name: TextSource) -> OrderBy:
    """Case-insensitive order by the name, rows without one last."""
    return name_key(model, name).asc(nulls_last=True)


def best_match_first(
    queryset: QuerySet, term: str, *, match: Sequence[TextSource], name: TextSource
) -> QuerySet:
    """The rows ranked by how well `match` (and the name) meet the term (module docstring),
    then by name and primary key; annotated with `match_rank`."""
    model = queryset.model
    text = term.strip().lower()
    if not text:
        return queryset.order_by(by_name(model, name), "pk")
    compared = {
        f"_match_{index}": Lower(text_of(model, source))
        for index, source in enumerate([*match, name])
    }
    exact, prefix = Q(), Q()
    for alias in compared:
        exact |= Q(**{alias: text})
        prefix |= Q(**{f"{alias}__startswith": text})
    rank = Case(
        When(exact, then=Value(EXACT)),
        When(prefix, then=Value(PREFIX)),
        default=Value(OTHER),
        output_field=IntegerField(),
    )
    return (
        queryset.alias(**compared)
        .annotate(match_rank=rank)
        .order_by("match_rank", by_name(model, name), "pk")
    )
