"""Best match first, for the admin's pickers and its name columns.

A picker's results are ranked in the database: rows with an id, code, email or name
equal to the typed term (case-insensitively) first, then rows where one of them starts
with it, then (for rows whose name has parts: a customer's last name) rows where such a
word of the name equals or starts with the term, then the rest; within a rank by name,
then by primary key, the word rank by the word, then by name. So "Audio product 1" comes
before "Audio product 16978", and "Zoe Weber" before "Anna Weberling" and "Anna Oberweber"
for "weber".

Each rank is its own query, read no further than the page needs, and not at all once the
better ranks fill the page (`BestMatchFirst`): the
exact and prefix matches from btree indexes of the lower-cased texts in bytewise order
(`COLLATE "C"`, which serves both `LIKE 'term%'` and the order by name; segments migration
0013, catalog 0003), the word rank from an index of the lower-cased word then name
(segments migration 0015), the rest in name order from the name index, filtered by the
search. A common word (a last name of 65,000 customers) so reads a page of rows, not every
match ranked and sorted: the word rank finds that page in its index, where before the rest
walked the name index past every customer whose first name sorts before the first match
(32,500 at scale L for "Weber"). Within the first three ranks texts compare bytewise,
within the rest in the database's collation (the same order for the C.UTF-8 collation and
for SQLite).

Localized names (a JSON object of language to text) are compared and sorted in the
default language (`settings.LANGUAGE_CODE`), read with a key transform the database
evaluates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    JSONField,
    Model,
    OrderBy,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Collate, Lower

# What an admin names as a text to match or sort by: a field name or an expression.
TextSource = str | Expression


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


class BytewiseText(Collate):
    """The text in the "C" collation on PostgreSQL (bytewise: a btree index of it serves
    `LIKE 'prefix%'` and the order); SQLite compares text bytewise already."""

    def __init__(self, expression: Expression) -> None:
        super().__init__(expression, "C")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(self.source_expressions[0])


def bytewise_key(model: type[Model], source: TextSource) -> Expression:
    """What exact and prefix matches compare and sort by: the lower-cased text, bytewise."""
    return BytewiseText(Lower(text_of(model, source)))


class BestMatchFirst:
    """The rows ranked best match first (module docstring), sliced like a queryset: a slice
    reads each rank's queries in turn, each limited to the rows still missing, until the
    page is full: the ranks after that are not read (the rest of a common word's matches,
    "Audio" in 200,000 categories, cost 0.25 s for a page the prefix rank had filled). So a
    page takes at most one query per text and rank, fewer when the better ranks fill it.
    Sliced only (`[start:stop]`), as a paginator reads a page.

    `matched` are the rows the search found; `scoped` (by default the same) the rows before
    the search: a text that equals or starts with the whole term contains each of its words,
    so the exact and prefix ranks are read from `scoped` through their btree indexes alone
    (not intersected with the trigram search, which would read every match of a common
    word). The prefix rank is one query per text, each in its index's order where the text
    is the name, then merged by name; so is the exact rank.

    `words` are the name's parts a term may be (a customer's last name: the first name is
    the name's start, ranked by the prefix rank already). Their rank is one query per word,
    in its index's order: the word, then the name, so the rows whose word equals the term
    come first (the equal word sorts before every longer one), then those whose word starts
    with it, word by word. Not by name alone: that order would sort every row whose word
    starts with the term (the 65,000 "Weber"s for "webe", typed on the way to "weber")."""

    ordered = True  # for Django's Paginator

    def __init__(
        self,
        matched: QuerySet,
        term: str,
        *,
        match: Sequence[TextSource],
        name: TextSource,
        scoped: QuerySet | None = None,
        words: Sequence[TextSource] = (),
    ) -> None:
        model = matched.model
        text = term.strip().lower()
        # Prefetched once for the page, not for each rank's query.
        self.prefetch = matched._prefetch_related_lookups
        matched = matched.prefetch_related(None)
        name_first = (by_name(model, name), "pk")
        self.exacts: list[QuerySet] = []
        self.prefixed: list[QuerySet] = []
        self.worded: list[QuerySet] = []
        if not text:
            self.rest = matched.order_by(*name_first)
            return
        scoped = matched if scoped is None else scoped.prefetch_related(None)
        compared = {
            f"_match_{index}": bytewise_key(model, source)
            for index, source in enumerate([*match, name])
        }
        exact = Q()
        for alias in compared:
            exact |= Q(**{alias: text})
        bytewise_name = (bytewise_key(model, name).asc(nulls_last=True), "pk")
        candidates = scoped.alias(**compared).annotate(_name_key=bytewise_key(model, name))
        # One query per text and rank: each is read from that text's index (an OR of the
        # texts let PostgreSQL walk the whole name index in order, 12 s at a million).
        self.exacts = [
            candidates.filter(**{alias: text}).order_by(*bytewise_name) for alias in compared
        ]
        self.prefixed = [
            candidates.filter(**{f"{alias}__startswith": text})
            .exclude(_flag(exact))
            .order_by(*bytewise_name)
            for alias in compared
        ]
        # The rows of the first two ranks among them are dropped as they are read, as for
        # the rest (`__getitem__`).
        self.worded = [
            candidates.annotate(_word_key=bytewise_key(model, word))
            .filter(_word_key__startswith=text)
            .order_by("_word_key", *bytewise_name)
            for word in words
        ]
        # The rest is every match in name order: the rows of the first two ranks among them
        # are dropped as they are read (`__getitem__`), not excluded by the query, which
        # evaluated the three lower-cased texts on each row it walked (most of its time).
        self.rest = matched.order_by(*name_first)

    def __getitem__(self, index: slice) -> list[Model]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("BestMatchFirst is read in slices")
        start, stop = index.start or 0, index.stop

        def read(rows: QuerySet, wanted: int) -> list[Model]:
            return list(rows if stop is None else rows[: max(stop - wanted, 1)])

        found: list[Model] = []

        def full() -> bool:
            return stop is not None and len(found) >= stop

        for rank in (self.exacts, self.prefixed):
            if full():
                break
            merged: dict[Any, Model] = {}
            for rows in rank:
                merged.update((row.pk, row) for row in read(rows, len(found)))
            found += sorted(merged.values(), key=_by_bytewise_name)
        if not full() and self.worded:
            found += self._words(stop, found)
        if not full():
            found += self._rest(stop, found)
        page = found[start:stop]
        prefetch_related_objects(page, *self.prefetch)
        return page

    def _words(self, stop: int | None, found: list[Model]) -> list[Model]:
        """The word rank's rows a slice left short by the first two ranks needs, those of
        the first two dropped (they are all in `found`, as for `_rest`): each word's query
        reads its first `stop` rows, then they are merged by the word, then the name (a row
        two words match by its smaller word)."""
        known = {row.pk for row in found}
        merged: dict[Any, Model] = {}
        for rows in self.worded:
            for row in rows if stop is None else rows[: max(stop, 1)]:
                if row.pk in known:
                    continue
                if row.pk not in merged or _by_word(row) < _by_word(merged[row.pk]):
                    merged[row.pk] = row
        return sorted(merged.values(), key=_by_word)

    def _rest(self, stop: int | None, found: list[Model]) -> list[Model]:
        """The rest rank's rows a slice left short by the better ranks needs. Each query
        of theirs then returned fewer rows than it was allowed, so `found` holds all their
        rows: the rest reads the first `stop` rows in name order and drops those."""
        known = {row.pk for row in found}
        rows = list(self.rest if stop is None else self.rest[:stop])
        return [row for row in rows if row.pk not in known]


def _by_bytewise_name(row: Any) -> tuple[bool, str, Any]:
    """The prefix rank's order, as the database's `COLLATE "C"` (code points), empty last."""
    return (row._name_key is None, row._name_key or "", row.pk)


def _by_word(row: Any) -> tuple[str, bool, str, Any]:
    """The word rank's order, as its queries' (`COLLATE "C"`): the word, then the name."""
    return (row._word_key, *_by_bytewise_name(row))


def _flag(condition: Q) -> Case:
    """Whether a row meets the condition, false where it is NULL (an empty email neither
    equals nor starts with the term), so that excluding it keeps such rows."""
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def best_match_first(
    matched: QuerySet,
    term: str,
    *,
    match: Sequence[TextSource],
    name: TextSource,
    scoped: QuerySet | None = None,
    words: Sequence[TextSource] = (),
) -> BestMatchFirst:
    """The rows ranked by how well `match` (and the name, and its `words`) meet the term
    (module docstring), then by name and primary key, read a slice at a time
    (`BestMatchFirst`)."""
    return BestMatchFirst(matched, term, match=match, name=name, scoped=scoped, words=words)
