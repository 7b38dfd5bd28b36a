"""Writes of segment members. The API and the admin come through here.

Every write is one entry point below, so that whatever depends on membership (the
storefront's cached answers, through `customers_changed`) hears of every change, and the
audit trail gets one entry per changed assignment (one `record` per call).

Requests are validated and applied as sets: the referenced customers, legal entities and
their links are looked up in one query each (`selectors/member_directory.py`), the
segment's existing assignments in one more, new rows are inserted together and changed
rows updated together (`member_rows.py`), whatever the number of elements.

Concurrency: every write locks the segment row (`FOR NO KEY UPDATE`: it waits for segment
updates and deletes, but not for inserts of other rows that reference the segment) and, on
PostgreSQL, for a rule segment, its stripe's advisory lock exclusively (which the customer
writes evaluating the rules hold shared) before it reads the assignments, so the writers
of one segment's members take turns. A writer therefore never inserts a member another
writer inserted since its read (no unique violation, no lost update, no deadlock between
inserts), every 201 is the one creation of its row and every 204 an update of a row that
exists. Writers of different segments do not wait for each other, not even for the
customers they share (`selectors/member_directory.py`), except writers of two rule
segments of one lock stripe (`segments_project/db/sql.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from segments_project.api.documents import check_version
from segments_project.audit.models import AuditAction
from segments_project.audit.record import Change, record
from segments_project.checkpoints import Checkpoint, reached
from segments_project.db.sql import row_lock, rule_segment_lock
from segments_project.errors import (
    ApplicationError,
    NotFound,
    StateConflict,
    ValidationFailed,
    VersionConflict,
)
from segments_project.tenancy.versions import customers_changed

from ..documents.members import (
    MemberKey,
    MemberOutcome,
    MemberWrite,
    bulk_member_key,
    bulk_member_write,
    member_key,
    member_write,
)
from ..models import AssignmentType, Segment, SegmentCustomerAssignment
from ..selectors.member_directory import MemberDirectory, MemberPair
from .member_audit import member_change, member_update
from .member_rows import WRITTEN_FIELDS, MemberRow, members_insert, members_update, stored_members


@dataclass(frozen=True)
class LockedSegment:
    pk: int
    public_id: str


def members_segment_lock(*, tenant: str, segment_id: str) -> LockedSegment:
    """The segment, locked against other member writers until the transaction ends; 404
    whether it is missing or of another tenant. Every writer of the segment's members takes
    it first: the member API, exclusions and rule evaluation (`automatic_members.py`)."""
    # On PostgreSQL also the advisory lock of a rule segment's stripe, exclusive, in the
    # same query: the customer writes that evaluate the rules hold it shared
    # (`write_evaluation.py`).
    table = Segment._meta.db_table
    advisory = f", {rule_segment_lock(table)}" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id{advisory} FROM {table}"
            f" WHERE tenant_id = %s AND public_id = %s{row_lock('NO KEY UPDATE')}",
            [tenant, segment_id],
        )
        found = cursor.fetchone()
    if found is None:
        raise NotFound(
            f"The segment with id {segment_id} has not been found.", resource_id=segment_id
        )
    return LockedSegment(found[0], segment_id)


class _Plan:
    """The rows a call creates and updates, with what the audit trail needs of them."""

    def __init__(self) -> None:
        self.created: dict[MemberPair, tuple[MemberKey, MemberRow]] = {}
        self.updated: dict[MemberPair, tuple[MemberKey, MemberRow]] = {}
        self.before: dict[MemberPair, dict[str, Any]] = {}  # changed fields before the call

    def update(
        self, pair: MemberPair, key: MemberKey, row: MemberRow, values: dict[str, Any]
    ) -> None:
        old = row.apply(values)
        if not old or pair in self.created:
            return
        before = self.before.setdefault(pair, {})
        for field, value in old.items():
            before.setdefault(field, value)
        self.updated[pair] = (key, row)

    def changes(self, segment_id: str) -> list[Change]:
        assigned = [
            member_change(segment_id, key, AuditAction.ASSIGNED, row.values())
            for key, row in self.created.values()
        ]
        updated = [
            member_update(
                segment_id,
                key,
                self.before[pair],
                row.values(self.before[pair]),
                row.assignment_type,
            )
            for pair, (key, row) in self.updated.items()
        ]
        return assigned + [change for change in updated if change is not None]


def _upsert(
    *, tenant: str, segment: LockedSegment, requested: Sequence[MemberWrite | ApplicationError]
) -> list[MemberOutcome]:
    """Creates or updates each requested member; one outcome per request, in order.

    Elements apply in request order, so an element naming a member an earlier element
    created updates it (204) and a version is checked against the value an earlier
    element left. The segment must be locked (see the module docstring).
    """
    writes = [item for item in requested if isinstance(item, MemberWrite)]
    directory = MemberDirectory(tenant=tenant, keys=[write.key for write in writes])
    existing = stored_members(
        tenant=tenant, segment=segment.pk, customers=directory.customers.values()
    )
    reached(Checkpoint.MEMBERS_STORED_READ, stored=existing)
    plan = _Plan()
    outcomes: list[MemberOutcome] = []
    for item in requested:
        if isinstance(item, ApplicationError):
            outcomes.append(MemberOutcome(key=None, error=item))
            continue
        try:
            pair = directory.resolve(item.key)
        except ValidationFailed as exc:
            outcomes.append(MemberOutcome(key=item.key, error=exc))
            continue
        row = existing.get(pair)
        if row is None:
            existing[pair] = row = MemberRow(None, *pair, version=1, **item.values)
            plan.created[pair] = (item.key, row)
            outcomes.append(MemberOutcome(key=item.key, created=True))
            continue
        try:
            check_version(
                current=row.version, requested=item.version, resource_id=item.key.customer_id
            )
        except VersionConflict as exc:
            outcomes.append(MemberOutcome(key=item.key, error=exc))
            continue
        plan.update(pair, item.key, row, item.values)
        outcomes.append(MemberOutcome(key=item.key))
    now = timezone.now()
    created = [row for _, row in plan.created.values()]
    members_insert(tenant=tenant, segment=segment.pk, rows=created, now=now)
    updated = [row for _, row in plan.updated.values()]
    members_update(tenant=tenant, segment=segment.pk, rows=updated, now=now)
    customers_changed(
        tenant=tenant,
        customer_ids={
            key.customer_id for key, _ in [*plan.created.values(), *plan.updated.values()]
        },
    )
    record(tenant, plan.changes(segment.public_id))
    return outcomes


def _raise_or_return(outcome: MemberOutcome) -> MemberOutcome:
    if outcome.error is not None:
        raise outcome.error
    return outcome


@transaction.atomic
def customer_assignment_upsert(
    *,
    tenant: str,
    segment_id: str,
    customer_id: str,
    legal_entity_id: str | None = None,
    document: Any = None,
) -> bool:
    """Assigns the customer (B2C), or the customer acting for the legal entity (B2B), to the
    segment, or updates the assignment's custom data; returns whether it was created.

    404 for an unknown segment; 400 for a malformed body, an unknown customer or legal
    entity, or a customer that does not belong to the legal entity; 409 for a stale
    `metadata.version` (nothing changes then).
    """
    write = member_write(member_key(customer_id, legal_entity_id), document)
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    outcome = _raise_or_return(_upsert(tenant=tenant, segment=segment, requested=[write])[0])
    return outcome.created


@transaction.atomic
def customer_assignments_upsert_bulk(
    *, tenant: str, segment_id: str, documents: Sequence[Any]
) -> list[MemberOutcome]:
    """Upserts each `{customerId, legalEntityId?, mixins?, metadata?}`; one outcome per
    element, in order: 201 created, 204 updated (or already so), 400 malformed or unknown
    references, 409 stale version. Valid elements apply even when others fail.

    404 (for the whole request) for an unknown segment.
    """
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    requested: list[MemberWrite | ApplicationError] = []
    for document in documents:
        try:
            requested.append(bulk_member_write(document))
        except ApplicationError as exc:
            requested.append(exc)
    return _upsert(tenant=tenant, segment=segment, requested=requested)


def automatic_member_refusal(segment_id: str, key: MemberKey) -> StateConflict:
    """Why an AUTOMATIC membership cannot be deleted: the segment's criteria made it and
    would make it again; an exclusion is what keeps a customer out."""
    return StateConflict(
        f"The customer {key} is an AUTOMATIC member of the segment {segment_id}: the "
        "segment's criteria made it one and would make it one again. To keep the customer "
        f"out, exclude it: PUT .../segments/{segment_id}/exclusions/{key.customer_id}.",
        resource_id=key.customer_id,
    )


def _delete(
    *, tenant: str, segment: LockedSegment, keys: Sequence[MemberKey]
) -> dict[MemberKey, StateConflict]:
    """Removes the members' MANUAL assignments from the segment; the refusal of each
    member whose assignment is AUTOMATIC (those stay).

    The rows are read first (the segment's lock keeps them as read), so that the audit
    trail names the assignments really taken out.
    """
    wanted = set(keys)
    if not wanted:
        return {}
    found = [
        (MemberKey(customer_id, legal_entity_id), pk, values)
        for pk, customer_id, legal_entity_id, *values in SegmentCustomerAssignment.objects.filter(
            tenant_id=tenant,
            segment_id=segment.pk,
            customer__tenant_id=tenant,
            customer__public_id__in={key.customer_id for key in wanted},
        )
        .order_by()
        .values_list("pk", "customer__public_id", "legal_entity__public_id", *WRITTEN_FIELDS)
        if MemberKey(customer_id, legal_entity_id) in wanted
    ]
    refused = {
        key: automatic_member_refusal(segment.public_id, key)
        for key, _, values in found
        if dict(zip(WRITTEN_FIELDS, values, strict=True))["assignment_type"]
        == AssignmentType.AUTOMATIC
    }
    found = [row for row in found if row[0] not in refused]
    if not found:
        return refused
    SegmentCustomerAssignment.objects.filter(pk__in=[pk for _, pk, _ in found]).delete()
    customers_changed(tenant=tenant, customer_ids={key.customer_id for key, _, _ in found})
    record(
        tenant,
        [
            member_change(
                segment.public_id,
                key,
                AuditAction.UNASSIGNED,
                dict(zip(WRITTEN_FIELDS, values, strict=True)),
            )
            for key, _, values in found
        ],
    )
    return refused


@transaction.atomic
def customer_assignment_delete(
    *, tenant: str, segment_id: str, customer_id: str, legal_entity_id: str | None = None
) -> None:
    """Removes the B2C (no legal entity) or B2B assignment (idempotent: nothing to remove
    is no error). 404 for an unknown segment, 400 for a malformed id, 409 for an AUTOMATIC
    assignment (see `automatic_member_refusal`).
    """
    key = member_key(customer_id, legal_entity_id)
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    refused = _delete(tenant=tenant, segment=segment, keys=[key])
    if key in refused:
        raise refused[key]


@transaction.atomic
def customer_assignments_delete_bulk(
    *, tenant: str, segment_id: str, documents: Sequence[Any]
) -> list[MemberOutcome]:
    """Removes each `{customerId, legalEntityId?}`; one outcome per element, in order:
    204 (removed, or was not there), 400 for a malformed element, 409 for an AUTOMATIC
    assignment (it stays; see `automatic_member_refusal`).

    404 (for the whole request) for an unknown segment.
    """
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    outcomes: list[MemberOutcome] = []
    for document in documents:
        try:
            outcomes.append(MemberOutcome(key=bulk_member_key(document)))
        except ApplicationError as exc:
            outcomes.append(MemberOutcome(key=None, error=exc))
    refused = _delete(
        tenant=tenant,
        segment=segment,
        keys=[outcome.key for outcome in outcomes if outcome.key is not None],
    )
    return [
        MemberOutcome(key=outcome.key, error=refused[outcome.key])
        if outcome.key in refused
        else outcome
        for outcome in outcomes
    ]
