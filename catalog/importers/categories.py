"""The `categories` import kind, the category forest: rows are category documents with a `parentId`.

A parent may already be stored or come anywhere in the file, before or after its
children. Rows whose parent is neither stored nor in their chunk wait in a spool file
(memory stays flat) and are retried after the last chunk, pass after pass, until a pass
resolves nothing; the rows still waiting then are rejected ("the parent category ...
does not exist"). So every committed chunk holds a complete forest: no category is
written before its parent, and a crash between chunks leaves the tree consistent.

Per batch, like the API's tree writes, the tenant's forest lock is taken first. Rows
that would make a category its own ancestor, or take a code another category keeps,
are rejected with the API's messages. The rows are then upserted in one statement, and
the materialized paths and depths of the new and moved categories are set in one more;
each moved category that has descendants rewrites its subtree's paths in one UPDATE.
Then the tree keys of the new, moved and repositioned categories (the admin's tree order)
are set as the API's writes set them (`catalog.services.tree_keys`): one UPDATE per level,
one more per moved subtree.
A dry run holds the whole file in one transaction (rolled back), so that parents later
in the file are found as in a real run.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.db.models import F, Max, Q, Value
from django.db.models.functions import Concat, Substr

from segments_project.api.documents import requested_version
from segments_project.errors import AlreadyExists, field_error
from segments_project.imports.chunks import (
    Accepted,
    Importer,
    chunked,
    require_object,
    required_id,
    version_conflict,
)
from segments_project.imports.formats import Field, FieldType, Layout, SourceRow
from segments_project.tenancy.models import Tenant
from segments_project.writes import Counts

from ..documents.categories import category_values
from ..models import Category
from ..services.tree_keys import tree_keys_refresh
from .category_places import ancestor_pks, placed_categories, places

# Stored fields a row sets, besides the parent (and the path and depth that follow it).
_FIELDS = (
    "name",
    "description",
    "slug",
    "code",
    "ecn",
    "position",
    "published",
    "valid_from",
    "valid_to",
    "mixins",
    "metadata_mixins",
)


@dataclass(slots=True)
class CategoryRow(Accepted):
    """An accepted category row; keeps its document in case it has to wait for its parent."""

    document: Any = None

    @property
    def parent(self) -> str | None:
        return self.values["parent_id"]


class CategoryImporter(Importer):
    kind = "categories"
    label = "category"
    layout = Layout(
        (
            Field("id"),
            Field("parentId"),
            Field("code"),
            Field("localizedName", FieldType.LOCALIZED),
            Field("localizedDescription", FieldType.LOCALIZED),
            Field("localizedSlug", FieldType.LOCALIZED),
            Field("ecn", FieldType.JSON),
            Field("position", FieldType.INT),
            Field("published", FieldType.BOOL),
            Field("validity.from"),
            Field("validity.to"),
            Field("mixins", FieldType.JSON),
            Field("metadata.mixins", FieldType.JSON),
        )
    )
    dry_run_in_one_transaction = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._spool: IO[str] | None = None
        self._spooled = 0
        self._last_pass = False
        # Categories with a row in the spool: their later rows wait too, so that rows of
        # one category still apply in file order.
        self._waiting: set[str] = set()

    def accept(self, line: int, document: Any) -> CategoryRow:
        document = require_object(document, self.label)
        public_id = required_id(document)
        values = category_values(document, content_language=None)
        if values["parent_id"] == public_id:
            raise field_error("parentId", f"Category {public_id} cannot be its own parent.")
        return CategoryRow(line, public_id, values, requested_version(document), document)

    # --- rows waiting for their parent -----------------------------------------------

    def _defer(self, item: CategoryRow) -> None:
        if self._last_pass:
            error = field_error("parentId", f"The parent category {item.parent} does not exist.")
            self.reject(item.line, error, document=item)
            return
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._spool.write(json.dumps({"line": item.line, "document": item.document}) + "\n")
        self._spooled += 1
        self._waiting.add(item.key)

    def _take_spool(self) -> Iterator[SourceRow]:
        spool, self._spool, self._spooled = self._spool, None, 0
        self._waiting = set()
        assert spool is not None
        spool.seek(0)
        with spool:
            for text in spool:
                row = json.loads(text)
                yield SourceRow(line=row["line"], document=row["document"])

    def finish(self) -> None:
        """Retries the waiting rows until a pass resolves none; then rejects the rest."""
        last_pass = False
        while self._spooled:
            waiting = self._spooled
            self._last_pass = last_pass
            for chunk in chunked(self._take_spool(), self.chunk_size):
                self.apply(chunk)
            last_pass = self._spooled == waiting

    # --- a batch -------------------------------------------------------------------------

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        rows: list[CategoryRow] = []
        for row in batch:
            if row.key in self._waiting:
                self._defer(row)  # type: ignore[arg-type]
            else:
                rows.append(row)  # type: ignore[arg-type]
        if not rows:
            return
        # The forest lock of the API's tree writes: structural writes take turns.
        list(Tenant.objects.select_for_update().filter(name=self.tenant).values_list("pk"))
        wanted = {row.key for row in rows} | {row.parent for row in rows if row.parent}
        columns = ("pk", "public_id", "parent_id", "path", "depth", "version", "created_at")
        stored = {
            row["public_id"]: row
            for row in Category.objects.filter(tenant_id=self.tenant, public_id__in=wanted)
            .order_by()
            .values(*columns, *_FIELDS)
        }
        active = {}
        for row in rows:
            current = stored.get(row.key)
            conflict = version_conflict(row, current["version"]) if current else None
            if conflict is not None:
                self.reject(row.line, conflict, field="metadata.version", document=row)
            else:
                active[row.key] = row
        self._settle(active, stored)
        self._upsert(list(active.values()), stored, counts, now)

    def _settle(self, active: dict[str, CategoryRow], stored: dict[str, dict]) -> None:
        """Leaves in `active` the rows that can be written now: parent known, no cycle,
        code free. Rows waiting for a parent go to the spool; the others are rejected."""
        while True:
            waiting = [
                row
                for row in active.values()
                if row.parent is not None and row.parent not in stored and row.parent not in active
            ]
            for row in waiting:
                del active[row.key]
                self._defer(row)
            if waiting:
                continue  # their children in the batch wait too
            cyclic = self._cyclic(active, stored)
            for key in cyclic:
                row = active.pop(key)
                error = field_error(
                    "parentId",
                    f"Category {key} cannot move under itself or its descendant {row.parent}.",
                )
                self.reject(row.line, error, document=row)
            taken = self._codes_taken(active, stored)
            for key in taken:
                row = active.pop(key)
                code = row.values["code"]
                message = f"The category code {code} is already used."
                self.reject(
                    row.line, AlreadyExists(message, resource_id=code), field="code", document=row
                )
            if not (cyclic or taken):
                return

    @staticmethod
    def _cyclic(active: dict[str, CategoryRow], stored: dict[str, dict]) -> list[str]:
        """Rows that would be their own ancestor once every active row is applied."""
        by_pk = {stored[key]["pk"]: key for key in active if key in stored}
        cyclic = []
        for key in active:
            seen = {key}
            node = active[key].parent
            while node is not None:
                if node in seen:
                    cyclic.append(key)
                    break
                seen.add(node)
                if node in active:
                    node = active[node].parent
                    continue
                # A stored category that does not move: up its path to a moving ancestor.
                ancestors = ancestor_pks(stored[node]["path"])
                node = next((by_pk[pk] for pk in ancestors if pk in by_pk), None)
        return cyclic

    def _codes_taken(self, active: dict[str, CategoryRow], stored: dict[str, dict]) -> list[str]:
        """Rows whose code another category still holds at that row of the file.

        Rows apply in file order, so a code one row gives up can be taken by a later row
        (the statement writes them in the same order, and uniqueness is checked per row).
        """
        codes = {row.values["code"] for row in active.values()} - {None}
        if not codes:
            return []
        holder = dict(
            Category.objects.filter(tenant_id=self.tenant, code__in=codes)
            .order_by()
            .values_list("code", "public_id")
        )
        taken = []
        for key, row in active.items():
            code = row.values["code"]
            if code is not None and holder.get(code, key) != key:
                taken.append(key)
                continue
            previous = stored[key]["code"] if key in stored else None
            if previous is not None and holder.get(previous) == key:
                del holder[previous]
            if code is not None:
                holder[code] = key
        return taken

    def _upsert(
        self, rows: list[CategoryRow], stored: dict[str, dict], counts: Counts, now: datetime
    ) -> None:
        """Writes the new and changed rows, then their parents, paths, depths and tree keys."""
        objects, placed, repositioned = [], [], []
        for row in rows:
            values = {name: row.values[name] for name in _FIELDS}
            current = stored.get(row.key)
            if current is None:
                counts.inserted += 1
                version, created_at = 1, now
                placed.append(row)
            else:
                if values["position"] is None:
                    values["position"] = current["position"]
                parent = stored.get(row.parent) if row.parent else None
                moved = (parent["pk"] if parent else None) != current["parent_id"]
                if moved:
                    placed.append(row)
                elif values["position"] != current["position"]:
                    repositioned.append(row)
                elif all(current[name] == value for name, value in values.items()):
                    counts.unchanged += 1
                    continue
                counts.updated += 1
                version, created_at = current["version"] + 1, current["created_at"]
            objects.append(
                Category(
                    tenant_id=self.tenant,
                    public_id=row.key,
                    path="",
                    version=version,
                    created_at=created_at,
                    modified_at=now,
                    **{**values, "position": values["position"] or 0},
                )
            )
        if not objects:
            return
        written = Category.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["tenant", "public_id"],
            update_fields=[*_FIELDS, "version", "modified_at"],
        )
        pks = {key: row["pk"] for key, row in stored.items()}
        pks.update({obj.public_id: obj.pk for obj in written})
        if placed:
            self._place(placed, stored, pks)
        # The admin's tree order, as the API's writes keep it (`catalog.services.tree_keys`).
        tree_keys_refresh(tenant=self.tenant, pks=[pks[row.key] for row in placed + repositioned])

    def _place(
        self, placed: list[CategoryRow], stored: dict[str, dict], pks: dict[str, int]
    ) -> None:
        """Sets parent, path, depth (and the next free position) of new and moved rows,
        then moves the subtrees under the moved rows along."""
        moving = {row.key: row for row in placed}
        moved_pks = {pks[key]: key for key in moving if key in stored}
        tree = places(placed, moving, moved_pks, stored, pks)
        positions = self._next_positions(placed, stored, pks)
        updated = placed_categories(placed, stored, pks, tree, positions)
        Category.objects.bulk_update(updated, ["parent", "path", "depth", "position"])
        self._move_subtrees(moved_pks, stored, tree)

    def _move_subtrees(
        self, moved_pks: dict[int, str], stored: dict[str, dict], tree: dict[str, tuple[str, int]]
    ) -> None:
        """Rewrites the paths and depths below each moved category, one UPDATE each."""
        # Deepest first: a subtree moved inside a moved subtree is already in place.
        for key in sorted(moved_pks.values(), key=lambda key: -stored[key]["depth"]):
            old = stored[key]
            path, depth = tree[key]
            subtree = Category.objects.filter(tenant_id=self.tenant, path__startswith=old["path"])
            subtree.exclude(pk=old["pk"]).update(
                path=Concat(Value(path), Substr("path", len(old["path"]) + 1)),
                depth=F("depth") + (depth - old["depth"]),
            )

    def _next_positions(
        self, placed: list[CategoryRow], stored: dict[str, dict], pks: dict[str, int]
    ) -> dict[int | None, int]:
        """Parent pk (None for roots) -> the next free position among the children that
        were there before this batch."""
        parents = {pks[row.parent] if row.parent else None for row in placed}
        siblings = Q(parent_id__in=[pk for pk in parents if pk is not None])
        if None in parents:
            siblings |= Q(parent__isnull=True)
        highest = dict(
            Category.objects.filter(siblings, tenant_id=self.tenant)
            .exclude(pk__in=[pks[row.key] for row in placed if row.key not in stored])
            .order_by()
            .values("parent_id")
            .annotate(highest=Max("position"))
            .values_list("parent_id", "highest")
        )
        return {parent: highest.get(parent, -1) + 1 for parent in parents}
