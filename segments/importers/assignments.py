"""The `segment-items` and `segment-customers` import kinds: items and members of segments.

Rows name what they link by public ids. Per batch, each referenced kind is resolved in
one query (unknown ids are rejected with the API's messages), the stored links in one
more, and new and changed links are written together (`segments_project.db.copy`).
Segment writers lock the batch's segment rows first, in pk order, as the API's writers
do, so imports and API requests that touch one segment's assignments take turns.

Replace mode (`segment-items`, `segment-customers`): the whole file is one transaction;
each segment named in the file keeps exactly the assignments the file names, the others
are deleted at the end. A segment named by a rejected row is not pruned (its file is
incomplete), and the summary says so. A member file manages MANUAL members: replace mode
keeps the AUTOMATIC ones, which the segment's criteria made (a row naming one makes it
MANUAL, as the API's writes do).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from catalog.selectors.products import product_pks_by_code
from segments_project.audit.models import AuditAction, DocumentType
from segments_project.checkpoints import Checkpoint, reached
from segments_project.db.copy import Arbiter, Planned, RowTable, Stage, Statistics
from segments_project.db.sql import rule_segment_lock, segment_stripe
from segments_project.errors import ErrorDetail, ValidationFailed
from segments_project.imports.audit import REPLACE_MODE, AssignmentAudit, lines_of
from segments_project.imports.chunks import (
    Accepted,
    Importer,
    not_found,
    require_object,
    required_id,
    version_conflict,
)
from segments_project.imports.formats import MIXINS, Field, Layout
from segments_project.writes import Counts

from ..documents.items import clean_item_type, item_assignment_write, unknown_item
from ..documents.members import MemberKey, bulk_member_write
from ..models import (
    AssignmentType,
    ItemType,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)
from ..selectors.items import catalog_item_pks
from ..selectors.member_directory import MemberDirectory
from ..services.member_audit import member_document_id


class SegmentAssignmentImporter(Importer):
    """What segment item and member imports share: segment locks, plans, replace mode."""

    replaceable = True
    table: ClassVar[RowTable]
    audit_type: ClassVar[str]
    audit_event_data: ClassVar[dict[str, Any] | None] = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._named: set[int] = set()  # pks of the segments the accepted rows name
        self._protected: set[str] = set()  # segment ids named by rejected rows
        self._keep_table: str | None = None
        self._kept: list[int] = []  # replace mode: pks to add to the keep table
        self._statistics = Statistics(self.table)
        self._stage = Stage()
        self._audit = AssignmentAudit(self.audit_type, self.audit_event_data)

    def document_id(self, item: Accepted) -> str:
        """The assignment's id in the audit trail (as the API's events name it)."""
        raise NotImplementedError

    def pruned(self, rows: QuerySet) -> Iterator[tuple[str, str]]:
        """(segment id, audit document id) of each of the rows."""
        raise NotImplementedError

    def prunable(self, rows: QuerySet) -> QuerySet:
        """The rows replace mode may delete, among those the file did not name."""
        return rows

    def transaction_ended(self, *, committed: bool, outermost: bool) -> None:
        self._stage.transaction_ended(committed=committed, outermost=outermost)
        if not committed:
            self._audit.discard()

    def committed(self, counts: Counts) -> None:
        self._statistics.grew(counts.inserted)

    def rejected(self, line: int, document: Any) -> None:
        if not self.replace:
            return
        if isinstance(document, Accepted):
            self._protected.add(document.key[0])
        elif isinstance(document, dict) and isinstance(document.get("segmentId"), str):
            self._protected.add(document["segmentId"])

    def locked_segments(self, batch: list[Accepted]) -> dict[str, int]:
        """Public id -> pk of the batch's segments, locked until the commit: the rows and, on
        PostgreSQL, a rule segment's stripe lock, as `members_segment_lock` does (so an
        import waits for the customer writes evaluating a rule segment's members). In
        stripe order, then pk order, the order in which customer writes take the stripes
        (no deadlock)."""
        locked = Segment.objects.filter(
            tenant_id=self.tenant, public_id__in={item.key[0] for item in batch}
        ).select_for_update(no_key=True)
        fields = ["public_id", "pk"]
        order = ["pk"]
        if connection.vendor == "postgresql":
            table = f'"{Segment._meta.db_table}"'
            locked = locked.annotate(
                advisory=RawSQL(rule_segment_lock(table), ()),
                stripe=RawSQL(segment_stripe(f"{table}.id"), ()),
            )
            fields.append("advisory")  # selected, so that it is evaluated
            order.insert(0, "stripe")
        segments = {row[0]: row[1] for row in locked.order_by(*order).values_list(*fields)}
        self._named.update(segments.values())
        return segments

    def segment_missing(self, item: Accepted, segments: dict[str, int]) -> bool:
        if item.key[0] in segments:
            return False
        self.reject(item.line, not_found("segment", "segmentId", item.key[0]), document=item)
        return True

    def stored(self, rows: QuerySet) -> dict[tuple, tuple]:
        """The stored assignments among `rows` by their refs: (pk, *values, version)."""
        refs = len(self.table.ref_columns)
        columns = ("pk", *self.table.ref_columns, *self.table.value_fields, "version")
        return {
            row[1 : refs + 1]: (row[0], *row[refs + 1 :])
            for row in rows.order_by().values_list(*columns)
        }

    def plan(
        self,
        item: Accepted,
        refs: tuple[int | None, ...],
        stored: dict[tuple, tuple],
        counts: Counts,
        now: datetime,
    ) -> Planned | None:
        """The row to write for the item (None when nothing changes), counting it."""
        current = stored.get(refs)
        if current is None:
            counts.inserted += 1
            self._audit.add(item.key[0], AuditAction.ASSIGNED, self.document_id(item))
            return Planned(None, refs, item.values, 1, now, now)
        pk, *values, version = current
        conflict = version_conflict(item, version)
        if conflict is not None:
            self.reject(item.line, conflict, field="metadata.version", document=item)
            self._kept.append(pk)
            return None
        if values == [item.values[name] for name in self.table.value_fields]:
            counts.unchanged += 1
            self._kept.append(pk)
            return None
        counts.updated += 1
        self._audit.add(item.key[0], AuditAction.UPDATED, self.document_id(item))
        # created_at is not written on updates (`now` would serve a row deleted meanwhile).
        return Planned(pk, refs, item.values, version + 1, now, now)

    def write_planned(self, batch: list[Accepted], planned: list[Planned]) -> None:
        """Writes the batch's planned rows and records them in the audit trail."""
        inserts = [row for row in planned if row.pk is None]
        updates = [row for row in planned if row.pk is not None]
        self._kept += self.table.write(
            self.tenant, inserts, updates, self._stage, returning=self.replace
        )
        self._keep()
        self._audit.record(self.tenant, lines_of(batch[0].line, batch[-1].line))

    # --- replace mode ------------------------------------------------------------------

    def _keep(self) -> None:
        """Replace mode: the rows of `_kept` are named by the file and stay."""
        kept, self._kept = self._kept, []
        if not self.replace or not kept:
            return
        postgresql = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            if self._keep_table is None:
                self._keep_table = f"import_keep_{secrets.token_hex(6)}"
                on_commit = " ON COMMIT DROP" if postgresql else ""
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {self._keep_table} (id bigint PRIMARY KEY){on_commit}"
                )
            insert = f"INSERT INTO {self._keep_table} (id)"
            if postgresql:
                cursor.execute(
                    f"{insert} SELECT unnest(%s::bigint[]) ON CONFLICT DO NOTHING", [kept]
                )
            else:
                cursor.executemany(
                    f"{insert} VALUES (%s) ON CONFLICT DO NOTHING", [(pk,) for pk in kept]
                )

    def prune(self) -> int:
        """Deletes the assignments of the named segments that the file did not name."""
        protected = dict(
            Segment.objects.filter(tenant_id=self.tenant, public_id__in=self._protected)
            .order_by("public_id")
            .values_list("pk", "public_id")
        )
        if protected:
            names = list(protected.values())
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            self.summary.notes.append(
                f"Not pruned, because rows naming them were rejected: {shown}."
            )
        segments = sorted(self._named - set(protected))
        if not segments:
            return 0
        unnamed = self.prunable(
            self.table.model.objects.filter(tenant_id=self.tenant, segment_id__in=segments)
        )
        if self._keep_table is not None:
            unnamed = unnamed.exclude(pk__in=RawSQL(f"SELECT id FROM {self._keep_table}", []))
        for segment_id, document_id in self.pruned(unnamed):
            self._audit.add(segment_id, AuditAction.UNASSIGNED, document_id)
        deleted, _ = unnamed.delete()
        self._audit.record(self.tenant, REPLACE_MODE)
        if self._keep_table is not None and connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {self._keep_table}")
        return deleted


ITEM_TABLE = RowTable(
    model=SegmentItemAssignment,
    ref_columns=("segment_id", "item_type", "product_id", "category_id"),
    value_fields=("mixins", "metadata_mixins"),
    json_fields=frozenset({"mixins", "metadata_mixins"}),
    arbiters=(
        Arbiter(("tenant_id", "segment_id", "product_id"), "product_id IS NOT NULL", 2, False),
        Arbiter(("tenant_id", "segment_id", "category_id"), "category_id IS NOT NULL", 3, False),
    ),
)


class SegmentItemImporter(SegmentAssignmentImporter):
    """`segmentId`, `type` (PRODUCT or CATEGORY), `itemId`, `mixins`: the segment gives
    its members the product, or the category with its subtree."""

    kind = "segment-items"
    label = "item assignment"
    title = "Items"
    layout = Layout((Field("segmentId"), Field("type"), Field("itemId"), *MIXINS))
    table = ITEM_TABLE
    audit_type = DocumentType.SEGMENT_ITEM_ASSIGNMENT
    renamed: ClassVar[dict[str, str]] = {"id": "itemId"}

    def document_id(self, item: Accepted) -> str:
        return f"{item.key[1]}/{item.key[2]}"

    def pruned(self, rows: QuerySet) -> Iterator[tuple[str, str]]:
        for segment_id, item_type, product_id, category_id in (
            rows.order_by("pk")
            .values_list(
                "segment__public_id", "item_type", "product__public_id", "category__public_id"
            )
            .iterator()
        ):
            yield segment_id, f"{item_type}/{product_id or category_id}"

    def accept(self, line: int, document: Any) -> Accepted:
        document = require_object(document, self.label)
        segment_id = required_id(document, "segmentId")
        item_type = clean_item_type(document.get("type"))
        write = item_assignment_write(required_id(document, "itemId"), document)
        return Accepted(line, (segment_id, item_type, write.item_id), write.values, write.version)

    def _item_pks(self, batch: list[Accepted]) -> dict[ItemType, dict[str, int]]:
        """Item id -> pk per type; a product may also be named by its code (SKU) when no
        product has that id. A code several products share is left out (`_ambiguous`)."""
        items = {
            item_type: catalog_item_pks(
                tenant=self.tenant,
                item_type=item_type,
                item_ids={item.key[2] for item in batch if item.key[1] == item_type},
            )
            for item_type in ItemType
        }
        products = items[ItemType.PRODUCT]
        unknown = {
            item.key[2]
            for item in batch
            if item.key[1] == ItemType.PRODUCT and item.key[2] not in products
        }
        self._ambiguous: dict[str, int] = {}
        for code, pks in product_pks_by_code(tenant=self.tenant, codes=unknown).items():
            if len(pks) == 1:
                products[code] = pks[0]
            else:
                self._ambiguous[code] = len(pks)
        return items

    def _unknown(self, item_type: str, item_id: str) -> ValidationFailed:
        count = self._ambiguous.get(item_id)
        if item_type != ItemType.PRODUCT or count is None:
            return unknown_item(item_type, item_id)
        message = f"The code {item_id} names {count} products; give the product's id."
        return ValidationFailed(
            message, resource_id=item_id, details=[ErrorDetail("id", "ambiguous", message)]
        )

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        segments = self.locked_segments(batch)
        items = self._item_pks(batch)
        stored = self.stored(
            SegmentItemAssignment.objects.filter(
                Q(item_type=ItemType.PRODUCT, product_id__in=items[ItemType.PRODUCT].values())
                | Q(
                    item_type=ItemType.CATEGORY,
                    category_id__in=items[ItemType.CATEGORY].values(),
                ),
                tenant_id=self.tenant,
                segment_id__in=segments.values(),
            )
        )
        planned = []
        # A product named by its id and by its code in one batch: the same row twice.
        lines: dict[tuple, int] = {}
        for item in batch:
            segment_id, item_type, item_id = item.key
            if self.segment_missing(item, segments):
                continue
            item_pk = items[item_type].get(item_id)
            if item_pk is None:
                self.reject(item.line, self._unknown(item_type, item_id), document=item)
                continue
            is_product = item_type == ItemType.PRODUCT
            refs = (
                segments[segment_id],
                str(item_type),
                item_pk if is_product else None,
                None if is_product else item_pk,
            )
            if refs in lines:
                message = f"This row names the same item as line {lines[refs]}."
                error = ValidationFailed(
                    message, details=[ErrorDetail("itemId", "duplicate", message)]
                )
                self.reject(item.line, error, document=item)
                continue
            lines[refs] = item.line
            row = self.plan(item, refs, stored, counts, now)
            if row is not None:
                planned.append(row)
        self.write_planned(batch, planned)


@dataclass(slots=True)
class AcceptedMember(Accepted):
    """An accepted member row with its member as the API's validation gave it (always set;
    None only because the fields before it have defaults)."""

    member: MemberKey | None = None


MEMBER_TABLE = RowTable(
    model=SegmentCustomerAssignment,
    ref_columns=("segment_id", "customer_id", "legal_entity_id"),
    value_fields=("mixins", "metadata_mixins", "assignment_type"),
    json_fields=frozenset({"mixins", "metadata_mixins"}),
    arbiters=(
        Arbiter(("tenant_id", "segment_id", "customer_id"), "legal_entity_id IS NULL", 2, True),
        Arbiter(
            ("tenant_id", "segment_id", "customer_id", "legal_entity_id"),
            "legal_entity_id IS NOT NULL",
            2,
            False,
        ),
    ),
)


class SegmentCustomerImporter(SegmentAssignmentImporter):
    """`segmentId`, `customerId`, `legalEntityId` (B2B, optional), `mixins`: the customer
    (acting for the legal entity, which it must belong to) is a member of the segment."""

    kind = "segment-customers"
    label = "customer assignment"
    title = "Members"
    layout = Layout((Field("segmentId"), Field("customerId"), Field("legalEntityId"), *MIXINS))
    table = MEMBER_TABLE
    audit_type = DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT
    # Imports write MANUAL members, and replace mode prunes only MANUAL ones.
    audit_event_data: ClassVar[dict[str, Any] | None] = {
        "assignmentType": AssignmentType.MANUAL.value
    }

    def document_id(self, item: Accepted) -> str:
        return member_document_id(item.member)  # type: ignore[attr-defined]

    def pruned(self, rows: QuerySet) -> Iterator[tuple[str, str]]:
        for segment_id, customer_id, legal_entity_id in (
            rows.order_by("pk")
            .values_list("segment__public_id", "customer__public_id", "legal_entity__public_id")
            .iterator()
        ):
            yield segment_id, member_document_id(MemberKey(customer_id, legal_entity_id))

    def prunable(self, rows: QuerySet) -> QuerySet:
        # AUTOMATIC members are the criteria's: only an exclusion removes one.
        return rows.exclude(assignment_type=AssignmentType.AUTOMATIC)

    def accept(self, line: int, document: Any) -> AcceptedMember:
        document = require_object(document, self.label)
        segment_id = required_id(document, "segmentId")
        write = bulk_member_write(document)
        key = (segment_id, write.key.customer_id, write.key.legal_entity_id)
        return AcceptedMember(line, key, write.values, write.version, write.key)

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        rows: list[AcceptedMember] = batch  # type: ignore[assignment]
        segments = self.locked_segments(batch)
        directory = MemberDirectory(tenant=self.tenant, keys=[row.member for row in rows])
        stored = self.stored(
            SegmentCustomerAssignment.objects.filter(
                tenant_id=self.tenant,
                segment_id__in=segments.values(),
                customer_id__in=directory.customers.values(),
            )
        )
        reached(Checkpoint.MEMBERS_STORED_READ, stored=stored)
        planned = []
        for item in rows:
            if self.segment_missing(item, segments):
                continue
            try:
                customer, legal_entity = directory.resolve(item.member)
            except ValidationFailed as exc:
                self.reject(item.line, exc, document=item)
                continue
            refs = (segments[item.key[0]], customer, legal_entity)
            row = self.plan(item, refs, stored, counts, now)
            if row is not None:
                planned.append(row)
        self.write_planned(batch, planned)
