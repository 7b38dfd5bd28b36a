"""Writes of a segment's exclusions: customers who are never AUTOMATIC members of it.

An exclusion removes the customer's AUTOMATIC assignments of the segment (B2C and for
every legal entity) in its own transaction, so the exclusion and the removal commit
together, and the rule evaluation (`automatic_members.py`) never adds them back while it
stands. It never touches a MANUAL assignment: a merchandiser who wants the customer out
removes that assignment through the member API.

Both writes take the segment's member lock first (`members_segment_lock`), like every
writer of the segment's members, so an exclusion and an evaluation of the segment take
turns: whichever comes second sees the other's committed work. Removing an exclusion
adds nothing by itself: the customer becomes an AUTOMATIC member again at the next
evaluation that matches them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record
from segments_project.checkpoints import Checkpoint, reached
from segments_project.tenancy.versions import customers_changed

from ..documents.members import MemberKey, member_key
from ..models import AssignmentType, SegmentCustomerAssignment, SegmentExclusion
from ..selectors.member_directory import MemberDirectory
from .member_audit import member_change
from .member_rows import WRITTEN_FIELDS
from .members import LockedSegment, members_segment_lock


def _customer_pk(*, tenant: str, customer_id: str) -> tuple[MemberKey, int]:
    """The customer's key and pk (locked against deletion); 400 for a malformed or unknown
    id, as the member writes say it."""
    key = member_key(customer_id)
    customer, _ = MemberDirectory(tenant=tenant, keys=[key]).resolve(key)
    return key, customer


def _automatic_members_remove(
    *, tenant: str, segment: LockedSegment, key: MemberKey, customer: int
) -> list[Change]:
    """Deletes the customer's AUTOMATIC assignments of the segment; their audit entries."""
    automatic = SegmentCustomerAssignment.objects.filter(
        tenant_id=tenant,
        segment_id=segment.pk,
        customer_id=customer,
        assignment_type=AssignmentType.AUTOMATIC,
    )
    found = list(automatic.values_list("pk", "legal_entity__public_id", *WRITTEN_FIELDS))
    if not found:
        return []
    SegmentCustomerAssignment.objects.filter(pk__in=[row[0] for row in found]).delete()
    return [
        member_change(
            segment.public_id,
            MemberKey(key.customer_id, legal_entity_id),
            AuditAction.UNASSIGNED,
            {**dict(zip(WRITTEN_FIELDS, values, strict=True)), "reason": "excluded"},
        )
        for _, legal_entity_id, *values in found
    ]


@transaction.atomic
def exclusion_put(*, tenant: str, segment_id: str, customer_id: str) -> bool:
    """Excludes the customer from the segment's AUTOMATIC members, removing those it has;
    returns whether the exclusion is new (an existing one is left as it is).

    404 for an unknown segment, 400 for a malformed or unknown customer id.
    """
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    key, customer = _customer_pk(tenant=tenant, customer_id=customer_id)
    _, created = SegmentExclusion.objects.get_or_create(
        tenant_id=tenant,
        segment_id=segment.pk,
        customer_id=customer,
        defaults={"created_at": timezone.now()},
    )
    if not created:
        return False
    removed = _automatic_members_remove(tenant=tenant, segment=segment, key=key, customer=customer)
    reached(Checkpoint.EXCLUSION_WRITTEN, customer=customer)
    if removed:
        customers_changed(tenant=tenant, customer_ids=[key.customer_id])
    record(
        tenant,
        [
            Change(
                DocumentType.SEGMENT_EXCLUSION,
                key.customer_id,
                AuditAction.CREATED,
                segment.public_id,
                {"removedAutomatic": len(removed)},
            ),
            *removed,
        ],
    )
    return True


@transaction.atomic
def exclusion_delete(*, tenant: str, segment_id: str, customer_id: str) -> None:
    """Lifts the customer's exclusion (idempotent: none is no error). 404 for an unknown
    segment, 400 for a malformed id."""
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    key = member_key(customer_id)
    deleted, _ = SegmentExclusion.objects.filter(
        tenant_id=tenant, segment_id=segment.pk, customer__public_id=key.customer_id
    ).delete()
    if deleted:
        record(
            tenant,
            [
                Change(
                    DocumentType.SEGMENT_EXCLUSION,
                    key.customer_id,
                    AuditAction.DELETED,
                    segment.public_id,
                )
            ],
        )
