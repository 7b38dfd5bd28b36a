"""Writes of a segment's item assignments. The API and the admin come through here.

Every write goes through one of the four functions below, which tell the storefront's
cache of every change (`segments_changed`: the answers of the segment's members) and
record it in the audit trail. A write locks the segment row first (see
`item_segment_lock`), so writers of one segment's items are serialized; the segment itself
is never changed. Requests are applied as sets: the
referenced items are looked up in one query, the assignments already there in another,
new rows are inserted together and changed rows updated together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from segments_project.api.documents import check_version, clean_id
from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, diff, record
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import ApplicationError
from segments_project.tenancy.versions import segments_changed

from ..documents.items import (
    ItemOutcome,
    ItemWrite,
    bulk_item_write,
    clean_item_type,
    item_assignment_write,
    unknown_item,
)
from ..models import ItemType, Segment, SegmentItemAssignment
from ..selectors.items import catalog_item_pks, item_segment_lock

# Fields an upsert may change; the version and modification time follow them.
_WRITABLE = ("mixins", "metadata_mixins")


def _item_field(item_type: ItemType) -> str:
    return "product_id" if item_type == ItemType.PRODUCT else "category_id"


def _values(row: SegmentItemAssignment) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _WRITABLE}


def _change(
    segment: Segment, item_type: ItemType, item_id: str, action: str, changes: dict[str, Any]
) -> Change:
    """An audit entry of the assignment, named like its URL: `PRODUCT/<item id>`."""
    return Change(
        DocumentType.SEGMENT_ITEM_ASSIGNMENT,
        f"{item_type}/{item_id}",
        action,
        segment.public_id,
        changes,
    )


class _Plan:
    """What one call does to a segment's assignments of one item type, by item pk: the rows
    there (stored, then also those the call creates), the rows it creates and changes, and
    the writable values of each changed row before the call (for the audit trail)."""

    def __init__(self, rows: dict[int, SegmentItemAssignment]) -> None:
        self.rows = rows
        self.created: dict[int, SegmentItemAssignment] = {}
        self.changed: dict[int, SegmentItemAssignment] = {}
        self.before: dict[int, dict[str, Any]] = {}

    def create(self, pk: int, row: SegmentItemAssignment) -> None:
        self.rows[pk] = self.created[pk] = row

    def change(
        self, pk: int, row: SegmentItemAssignment, values: dict[str, Any], now: datetime
    ) -> None:
        """Writes the values into the row, a new version if any differs."""
        if not any(getattr(row, name) != value for name, value in values.items()):
            return
        if pk not in self.created and pk not in self.changed:
            self.before[pk] = _values(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
        row.modified_at = now
        if pk not in self.created:
            self.changed[pk] = row


def _stored_rows(
    *, segment: Segment, item_type: ItemType, item_pks: Iterable[int]
) -> dict[int, SegmentItemAssignment]:
    """The segment's assignments of these items, by item pk."""
    field = _item_field(item_type)
    return {
        getattr(row, field): row
        for row in SegmentItemAssignment.objects.filter(
            tenant_id=segment.tenant_id,
            segment=segment,
            item_type=item_type,
            **{f"{field}__in": item_pks},
        ).order_by()
    }


def _plan_write(
    write: ItemWrite | ApplicationError,
    *,
    segment: Segment,
    item_type: ItemType,
    items: dict[str, int],
    plan: _Plan,
    now: datetime,
) -> ItemOutcome:
    """Adds one write to the plan; its outcome: 201, 204, 400 or 409."""
    if isinstance(write, ApplicationError):
        return ItemOutcome.failed(write)
    pk = items.get(write.item_id)
    if pk is None:
        return ItemOutcome.failed(unknown_item(item_type, write.item_id))
    row = plan.rows.get(pk)
    if row is None:
        plan.create(
            pk,
            SegmentItemAssignment(
                tenant_id=segment.tenant_id,
                segment=segment,
                item_type=item_type,
                version=1,
                created_at=now,
                modified_at=now,
                **{_item_field(item_type): pk},
                **write.values,
            ),
        )
        return ItemOutcome(item_id=write.item_id, code=201)
    try:
        check_version(current=row.version, requested=write.version, resource_id=write.item_id)
    except ApplicationError as exc:
        return ItemOutcome.failed(exc, write.item_id)
    reached(Checkpoint.ITEM_VERSION_CHECKED)
    plan.change(pk, row, write.values, now)
    return ItemOutcome(item_id=write.item_id, code=204)


def _write(plan: _Plan, *, tenant: str, segment_pk: int) -> None:
    """Inserts the created rows and updates the changed ones, one statement each."""
    if plan.created:
        SegmentItemAssignment.objects.bulk_create(plan.created.values())
    if plan.changed:
        SegmentItemAssignment.objects.bulk_update(
            plan.changed.values(), [*_WRITABLE, "version", "modified_at"]
        )
    if plan.created or plan.changed:
        segments_changed(tenant=tenant, segment_pks=[segment_pk])


def _audit(plan: _Plan, *, segment: Segment, item_type: ItemType, items: dict[str, int]) -> None:
    """One audit entry per created row and per row whose values the call changed."""
    item_ids = {pk: item_id for item_id, pk in items.items()}
    record(
        segment.tenant_id,
        [
            *(
                _change(segment, item_type, item_ids[pk], AuditAction.ASSIGNED, _values(row))
                for pk, row in plan.created.items()
            ),
            *(
                _change(segment, item_type, item_ids[pk], AuditAction.UPDATED, changes)
                for pk, row in plan.changed.items()
                if (changes := diff(plan.before[pk], _values(row)))
            ),
        ],
    )


def _upsert(
    *, segment: Segment, item_type: ItemType, requested: Sequence[ItemWrite | ApplicationError]
) -> list[ItemOutcome]:
    """Applies the writes in order; one outcome per write: 201, 204, 400 or 409.

    Elements naming the same item apply one after the other, as separate requests would.
    Must run in a transaction holding the segment's lock. Three steps: plan (look the items
    and their assignments up, decide each write), write (one statement per kind), audit.
    """
    items = catalog_item_pks(
        tenant=segment.tenant_id,
        item_type=item_type,
        item_ids=(write.item_id for write in requested if isinstance(write, ItemWrite)),
    )
    plan = _Plan(_stored_rows(segment=segment, item_type=item_type, item_pks=items.values()))
    now = timezone.now()
    outcomes = [
        _plan_write(write, segment=segment, item_type=item_type, items=items, plan=plan, now=now)
        for write in requested
    ]
    _write(plan, tenant=segment.tenant_id, segment_pk=segment.pk)
    _audit(plan, segment=segment, item_type=item_type, items=items)
    return outcomes


def _delete(*, segment: Segment, item_type: ItemType, item_ids: set[str]) -> int:
    """Deletes the segment's assignments of these items in one statement; returns how many."""
    if not item_ids:
        return 0
    relation = "product" if item_type == ItemType.PRODUCT else "category"
    # Read first (under the segment's lock, so nothing changes in between): the audit trail
    # names the items that were really taken out.
    found = list(
        SegmentItemAssignment.objects.filter(
            tenant_id=segment.tenant_id,
            segment=segment,
            item_type=item_type,
            **{f"{relation}__tenant_id": segment.tenant_id, f"{relation}__public_id__in": item_ids},
        )
        .order_by()
        .values_list("pk", f"{relation}__public_id", *_WRITABLE)
    )
    if not found:
        return 0
    deleted, _ = SegmentItemAssignment.objects.filter(pk__in=[row[0] for row in found]).delete()
    segments_changed(tenant=segment.tenant_id, segment_pks=[segment.pk])
    record(
        segment.tenant_id,
        [
            _change(
                segment,
                item_type,
                item_id,
                AuditAction.UNASSIGNED,
                dict(zip(_WRITABLE, values, strict=True)),
            )
            for _, item_id, *values in found
        ],
    )
    return deleted


@transaction.atomic
def item_assignment_upsert(
    *, tenant: str, segment_id: str, item_type: str, item_id: str, document: Any
) -> bool:
    """Assigns the product or category to the segment, or replaces the assignment's custom
    data; returns whether it was created.

    `item_type` is PRODUCT or CATEGORY in any capitalization. 404 for an unknown segment;
    400 for a bad type or document, or an item that is not in the tenant's catalog; 409
    when `metadata.version` is not the current one (nothing changes then).
    """
    cleaned = clean_item_type(item_type)
    write = item_assignment_write(item_id, document)
    segment = item_segment_lock(tenant=tenant, segment_id=segment_id)
    (outcome,) = _upsert(segment=segment, item_type=cleaned, requested=[write])
    if outcome.error is not None:
        raise outcome.error
    return outcome.code == 201


@transaction.atomic
def item_assignment_delete(*, tenant: str, segment_id: str, item_type: str, item_id: str) -> bool:
    """Takes the item out of the segment; False if it was not in it (idempotent).

    404 for an unknown segment, 400 for a bad type.
    """
    cleaned = clean_item_type(item_type)
    segment = item_segment_lock(tenant=tenant, segment_id=segment_id)
    return _delete(segment=segment, item_type=cleaned, item_ids={item_id}) > 0


@transaction.atomic
def item_assignments_upsert_bulk(
    *, tenant: str, segment_id: str, item_type: str, documents: Sequence[Any]
) -> list[ItemOutcome]:
    """Upserts each `{id, mixins?, metadata?}`; one outcome per document, in order.

    404 (for the whole request) for an unknown segment, 400 for a bad type. Per element:
    201 created, 204 updated, 400 for a malformed element or an item not in the tenant's
    catalog, 409 for a stale `metadata.version`. Valid elements apply even when others fail.
    """
    cleaned = clean_item_type(item_type)
    requested: list[ItemWrite | ApplicationError] = []
    for document in documents:
        try:
            requested.append(bulk_item_write(document))
        except ApplicationError as exc:
            requested.append(exc)
    segment = item_segment_lock(tenant=tenant, segment_id=segment_id)
    return _upsert(segment=segment, item_type=cleaned, requested=requested)


@transaction.atomic
def item_assignments_delete_bulk(
    *, tenant: str, segment_id: str, item_type: str, item_ids: Sequence[Any]
) -> list[ItemOutcome]:
    """Takes each item out of the segment in one statement; one outcome per id, in order.

    404 (for the whole request) for an unknown segment, 400 for a bad type. Per element:
    204 whether or not the item was in the segment, 400 when it is not an id string.
    """
    cleaned = clean_item_type(item_type)
    outcomes: list[ItemOutcome] = []
    for item_id in item_ids:
        try:
            outcomes.append(ItemOutcome(item_id=clean_id(item_id), code=204))
        except ApplicationError as exc:
            outcomes.append(ItemOutcome.failed(exc))
    segment = item_segment_lock(tenant=tenant, segment_id=segment_id)
    valid = {outcome.item_id for outcome in outcomes if outcome.error is None}
    _delete(segment=segment, item_type=cleaned, item_ids=valid)
    return outcomes
