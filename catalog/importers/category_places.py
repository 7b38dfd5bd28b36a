"""Where the categories of an import batch land in the forest: their materialized paths,
depths and positions, worked out in memory from the rows already stored (no queries). The
`CategoryImporter` (`categories.py`) writes what these give."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Category

if TYPE_CHECKING:
    from .categories import CategoryRow


def ancestor_pks(path: str) -> list[int]:
    """The pks of a path's ancestors, nearest first (the node itself excluded)."""
    return [int(part) for part in path.strip("/").split("/")[:-1]][::-1]


def places(
    placed: list[CategoryRow],
    moving: dict[str, CategoryRow],
    moved_pks: dict[int, str],
    stored: dict[str, dict],
    pks: dict[str, int],
) -> dict[str, tuple[str, int]]:
    """Category key -> the path and depth it has once the batch is written, for the placed
    rows and the categories their new places were worked out from."""
    tree: dict[str, tuple[str, int]] = {}

    def located(key: str) -> tuple[str, int]:
        """The path and depth the category has once this batch is written."""
        if key in tree:
            return tree[key]
        if key in moving:
            parent = moving[key].parent
            if parent is None:
                tree[key] = (f"/{pks[key]}/", 0)
            else:
                path, depth = located(parent)
                tree[key] = (f"{path}{pks[key]}/", depth + 1)
            return tree[key]
        current = stored[key]
        for pk in ancestor_pks(current["path"]):
            if pk in moved_pks:
                anchor = stored[moved_pks[pk]]
                path, depth = located(moved_pks[pk])
                tree[key] = (
                    path + current["path"][len(anchor["path"]) :],
                    current["depth"] + depth - anchor["depth"],
                )
                return tree[key]
        tree[key] = (current["path"], current["depth"])
        return tree[key]

    for row in placed:
        located(row.key)
    return tree


def placed_categories(
    placed: list[CategoryRow],
    stored: dict[str, dict],
    pks: dict[str, int],
    tree: dict[str, tuple[str, int]],
    positions: dict[int | None, int],
) -> list[Category]:
    """The parent, path, depth and position of each placed row, as unsaved categories for
    `bulk_update`; `positions` (the next free one per parent) moves on as rows take them."""
    updated = []
    for row in placed:
        path, depth = tree[row.key]
        parent_pk = pks[row.parent] if row.parent else None
        position = row.values["position"]
        if position is None:
            # As the API: a moved category keeps its position, a new one goes last.
            position = stored[row.key]["position"] if row.key in stored else positions[parent_pk]
        positions[parent_pk] = max(positions[parent_pk], position + 1)
        updated.append(
            Category(
                pk=pks[row.key], parent_id=parent_pk, path=path, depth=depth, position=position
            )
        )
    return updated
