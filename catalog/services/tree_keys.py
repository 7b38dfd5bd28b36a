"""The categories' tree keys (`Category.tree_key`: the admin's tree order as one text),
kept by every write that places a category: a new one, a move, another position.

A key is the parent's key followed by `tree_key_part(position, id)`; the database builds
the same text (`tree_key_expression`), so that a whole level is set in one UPDATE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from django.db.models import Expression, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat, LPad, Substr

from ..models import TREE_KEY_POSITION_DIGITS, Category


def tree_key_expression() -> Expression:
    """A category's tree key from its parent's stored key, its position and its id, in SQL
    (`tree_key_part` in Python)."""
    parent_key = Category.objects.filter(pk=OuterRef("parent_id")).values("tree_key")[:1]
    return Concat(
        Coalesce(Subquery(parent_key), Value(""), output_field=TextField()),
        LPad(
            Cast("position", TextField()),
            TREE_KEY_POSITION_DIGITS,
            Value("0"),
            output_field=TextField(),
        ),
        Cast("public_id", TextField()),
        Value(" "),
        output_field=TextField(),
    )


def tree_keys_refresh(*, tenant: str, pks: Collection[int]) -> None:
    """Sets the tree keys of the given categories from their stored parents and positions,
    and carries each changed key over to the category's descendants.

    For the categories a write placed (created, moved, given another position) after their
    parents, paths and depths are stored; a parent's key must be right already or the
    parent among `pks`. Shallowest first, per level one UPDATE of the level's categories;
    then, for each of them that had a key before (a new category has no descendants outside
    `pks`) and whose key changed, one UPDATE of its subtree by path (indexed).
    """
    if not pks:
        return
    categories = Category.objects.filter(tenant_id=tenant)
    levels: dict[int, list[int]] = defaultdict(list)
    for pk, depth in categories.filter(pk__in=pks).order_by().values_list("pk", "depth"):
        levels[depth].append(pk)
    for depth in sorted(levels):
        level = categories.filter(pk__in=levels[depth])
        # Read now, not before the shallower levels: their rewrites may have changed them.
        before = {pk: (path, key) for pk, path, key in level.values_list("pk", "path", "tree_key")}
        level.update(tree_key=tree_key_expression())
        placed_before = [pk for pk, (_, old_key) in before.items() if old_key]
        if not placed_before:
            continue
        new_keys = dict(
            categories.filter(pk__in=placed_before).order_by().values_list("pk", "tree_key")
        )
        for pk in placed_before:
            path, old_key = before[pk]
            if new_keys[pk] == old_key:
                continue
            categories.filter(path__startswith=path).exclude(pk=pk).update(
                tree_key=Concat(
                    Value(new_keys[pk]),
                    Substr("tree_key", len(old_key) + 1),
                    output_field=TextField(),
                )
            )
