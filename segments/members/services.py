"""Writes of segment members. The API, the admin and the imports all come through here.

Every write is one entry point below, so that whatever depends on membership (the
storefront's cached answers, through `content_changed`) hears of every change.

Requests are validated and applied as sets: the referenced customers, legal entities and
their links are looked up in one query each, the segment's existing assignments in one
more, new rows are inserted together and changed rows updated together, whatever the
number of elements.

Concurrency: every write locks the segment row (`FOR NO KEY UPDATE`: it waits for segment
updates and deletes, but not for inserts of other rows that reference the segment) before
it reads the assignments, so the writers of one segment's members take turns. A writer
therefore never inserts a member another writer inserted since its read (no unique
violation, no lost update, no deadlock between inserts), every 201 is the one creation of
its row and every 204 an update of a row that exists. Writers of different segments do
not wait for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from segments_project.api.documents import check_version
from segments_project.errors import (
    ApplicationError,
    ErrorDetail,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from segments_project.tenancy.versions import content_changed

from ..models import (
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
)
from .documents import (
    MemberKey,
    MemberOutcome,
    MemberWrite,
    bulk_member_key,
    bulk_member_write,
    member_key,
    member_write,
)

# Stored fields an upsert may change (besides the version and modification time).
_WRITTEN_FIELDS = ("mixins", "metadata_mixins", "assignment_type")

# (customer pk, legal entity pk or None): how a member is told apart within a segment.
_Pair = tuple[int, int | None]


def _segment_locked(*, tenant: str, segment_id: str) -> Segment:
    """The segment, locked against other member writers until the transaction ends; 404
    whether it is missing or of another tenant."""
    segment = (
        Segment.objects.for_tenant(tenant)
        .select_for_update(no_key=True)
        .filter(public_id=segment_id)
        .first()
    )
    if segment is None:
        raise NotFound(
            f"The segment with id {segment_id} has not been found.", resource_id=segment_id
        )
    return segment


def _problem(field: str, message: str, resource_id: str) -> ValidationFailed:
    return ValidationFailed(
        message, resource_id=resource_id, details=[ErrorDetail(field, "not_found", message)]
    )


class MemberDirectory:
    """The customers, legal entities and links a request names, fetched in one query each."""

    def __init__(self, *, tenant: str, keys: Sequence[MemberKey]) -> None:
        customer_ids = {key.customer_id for key in keys}
        legal_entity_ids = {key.legal_entity_id for key in keys if key.legal_entity_id}
        self.customers: dict[str, int] = (
            dict(
                # Locked (in key order, so bulks cannot deadlock) until commit: a customer
                # deleted meanwhile would otherwise fail the new rows' foreign keys.
                Customer.objects.select_for_update(no_key=True)
                .filter(tenant_id=tenant, public_id__in=customer_ids)
                .order_by("pk")
                .values_list("public_id", "pk")
            )
            if customer_ids
            else {}
        )
        self.legal_entities: dict[str, int] = (
            dict(
                LegalEntity.objects.select_for_update(no_key=True)
                .filter(tenant_id=tenant, public_id__in=legal_entity_ids)
                .order_by("pk")
                .values_list("public_id", "pk")
            )
            if legal_entity_ids
            else {}
        )
        self.links: set[tuple[int, int]] = (
            set(
                CustomerLegalEntity.objects.filter(
                    tenant_id=tenant,
                    customer_id__in=self.customers.values(),
                    legal_entity_id__in=self.legal_entities.values(),
                )
                .order_by()
                .values_list("customer_id", "legal_entity_id")
            )
            if self.customers and self.legal_entities
            else set()
        )

    def resolve(self, key: MemberKey) -> _Pair:
        """The key's customer and legal entity rows; a 400 naming what does not fit."""
        customer = self.customers.get(key.customer_id)
        if customer is None:
            raise _problem(
                "customerId",
                f"The customer with id {key.customer_id} has not been found.",
                key.customer_id,
            )
        if key.legal_entity_id is None:
            return customer, None
        legal_entity = self.legal_entities.get(key.legal_entity_id)
        if legal_entity is None:
            raise _problem(
                "legalEntityId",
                f"The legal entity with id {key.legal_entity_id} has not been found.",
                key.legal_entity_id,
            )
        if (customer, legal_entity) not in self.links:
            message = (
                f"The customer {key.customer_id} does not belong to the legal entity "
                f"{key.legal_entity_id}."
            )
            raise ValidationFailed(
                message,
                resource_id=key.customer_id,
                details=[ErrorDetail("legalEntityId", "invalid", message)],
            )
        return customer, legal_entity


def _existing(
    *, tenant: str, segment: Segment, directory: MemberDirectory
) -> dict[_Pair, SegmentCustomerAssignment]:
    if not directory.customers:
        return {}
    rows = SegmentCustomerAssignment.objects.filter(
        tenant_id=tenant, segment=segment, customer_id__in=directory.customers.values()
    ).order_by()
    return {(row.customer_id, row.legal_entity_id): row for row in rows}


def _apply(row: SegmentCustomerAssignment, values: dict[str, Any], now: Any) -> bool:
    """Writes the values into the row; a write that changes nothing keeps the version."""
    changed = [field for field in _WRITTEN_FIELDS if getattr(row, field) != values[field]]
    if not changed:
        return False
    for field in changed:
        setattr(row, field, values[field])
    row.version += 1
    row.modified_at = now
    return True


def _upsert(
    *, tenant: str, segment: Segment, requested: Sequence[MemberWrite | ApplicationError]
) -> list[MemberOutcome]:
    """Creates or updates each requested member; one outcome per request, in order.

    Elements apply in request order, so an element naming a member an earlier element
    created updates it (204) and a version is checked against the value an earlier
    element left. The segment must be locked (see the module docstring).
    """
    writes = [item for item in requested if isinstance(item, MemberWrite)]
    directory = MemberDirectory(tenant=tenant, keys=[write.key for write in writes])
    existing = _existing(tenant=tenant, segment=segment, directory=directory)
    now = timezone.now()
    created: dict[_Pair, SegmentCustomerAssignment] = {}
    updated: dict[_Pair, SegmentCustomerAssignment] = {}
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
        row = created.get(pair) or existing.get(pair)
        if row is None:
            created[pair] = SegmentCustomerAssignment(
                tenant_id=tenant,
                segment=segment,
                customer_id=pair[0],
                legal_entity_id=pair[1],
                version=1,
                created_at=now,
                modified_at=now,
                **item.values,
            )
            outcomes.append(MemberOutcome(key=item.key, created=True))
            continue
        try:
            check_version(
                current=row.version, requested=item.version, resource_id=item.key.customer_id
            )
        except VersionConflict as exc:
            outcomes.append(MemberOutcome(key=item.key, error=exc))
            continue
        if _apply(row, item.values, now) and pair not in created:
            updated[pair] = row
        outcomes.append(MemberOutcome(key=item.key))
    if created:
        SegmentCustomerAssignment.objects.bulk_create(created.values())
    if updated:
        SegmentCustomerAssignment.objects.bulk_update(
            updated.values(), fields=[*_WRITTEN_FIELDS, "version", "modified_at"]
        )
    if created or updated:
        content_changed(tenant=tenant)
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
    segment = _segment_locked(tenant=tenant, segment_id=segment_id)
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
    segment = _segment_locked(tenant=tenant, segment_id=segment_id)
    requested: list[MemberWrite | ApplicationError] = []
    for document in documents:
        try:
            requested.append(bulk_member_write(document))
        except ApplicationError as exc:
            requested.append(exc)
    return _upsert(tenant=tenant, segment=segment, requested=requested)


def _delete(*, tenant: str, segment: Segment, keys: Sequence[MemberKey]) -> int:
    """Removes the members' assignments from the segment in one statement; returns how many."""
    if not keys:
        return 0
    wanted = Q()
    for key in set(keys):
        if key.legal_entity_id is None:
            wanted |= Q(customer__public_id=key.customer_id, legal_entity__isnull=True)
        else:
            wanted |= Q(
                customer__public_id=key.customer_id,
                legal_entity__public_id=key.legal_entity_id,
            )
    deleted, _ = SegmentCustomerAssignment.objects.filter(
        wanted, tenant_id=tenant, segment=segment
    ).delete()
    if deleted:
        content_changed(tenant=tenant)
    return deleted


@transaction.atomic
def customer_assignment_delete(
    *, tenant: str, segment_id: str, customer_id: str, legal_entity_id: str | None = None
) -> bool:
    """Removes the B2C (no legal entity) or B2B assignment; False if there was none
    (idempotent). 404 for an unknown segment, 400 for a malformed id.
    """
    key = member_key(customer_id, legal_entity_id)
    segment = _segment_locked(tenant=tenant, segment_id=segment_id)
    return bool(_delete(tenant=tenant, segment=segment, keys=[key]))


@transaction.atomic
def customer_assignments_delete_bulk(
    *, tenant: str, segment_id: str, documents: Sequence[Any]
) -> list[MemberOutcome]:
    """Removes each `{customerId, legalEntityId?}`; one outcome per element, in order:
    204 (removed, or was not there) or 400 for a malformed element.

    404 (for the whole request) for an unknown segment.
    """
    segment = _segment_locked(tenant=tenant, segment_id=segment_id)
    outcomes: list[MemberOutcome] = []
    for document in documents:
        try:
            outcomes.append(MemberOutcome(key=bulk_member_key(document)))
        except ApplicationError as exc:
            outcomes.append(MemberOutcome(key=None, error=exc))
    _delete(
        tenant=tenant,
        segment=segment,
        keys=[outcome.key for outcome in outcomes if outcome.key is not None],
    )
    return outcomes
