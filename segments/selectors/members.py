"""Reads of segment members, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from segments_project.errors import NotFound
from segments_project.tenancy import scopes
from segments_project.tenancy.principal import Principal

from ..documents.members import MemberKey
from ..models import Segment, SegmentCustomerAssignment
from .membership import customer_assignments_of
from .segments import segment_get


def sees_only_own_members(principal: Principal) -> bool:
    """A customer token, or a token without segment_read, sees only its own assignments."""
    return principal.is_customer or not principal.has_any_scope(frozenset({scopes.SEGMENT_READ}))


def member_segment_get(*, tenant: str, segment_id: str, principal: Principal) -> Segment:
    """The segment whose members the caller may list; NotFound otherwise.

    A customer token reaches only the segments it belongs to; a token that reads only
    its own segments but stands for no customer belongs to none.
    """
    if sees_only_own_members(principal) and not principal.is_customer:
        raise NotFound(
            f"The segment with id {segment_id} has not been found.", resource_id=segment_id
        )
    return segment_get(tenant=tenant, segment_id=segment_id, principal=principal)


def customer_assignments(
    *, tenant: str, segment: Segment, principal: Principal | None = None
) -> QuerySet[SegmentCustomerAssignment]:
    """The segment's customer assignments with customer and legal entity joined.

    With a principal that sees only its own members (see `sees_only_own_members`), only
    the assignments that make that customer a member. Rendering a page costs no further
    query; the result is a queryset, for `q`, sorting and paging.
    """
    assignments = SegmentCustomerAssignment.objects.filter(
        tenant_id=tenant, segment=segment
    ).select_related("customer", "legal_entity")
    if principal is not None and sees_only_own_members(principal):
        if not principal.is_customer:
            return assignments.none()
        own = customer_assignments_of(
            tenant=tenant,
            customer_id=principal.customer_id,
            legal_entity_id=principal.legal_entity_id,
        )
        assignments = assignments.filter(pk__in=own.values("pk"))
    return assignments


def customer_assignment_get(
    *, tenant: str, segment_id: str, key: MemberKey
) -> SegmentCustomerAssignment:
    """The B2C (no legal entity) or B2B assignment of the segment; NotFound for a missing
    segment or assignment."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    legal_entity = (
        {"legal_entity__isnull": True}
        if key.legal_entity_id is None
        else {"legal_entity__public_id": key.legal_entity_id}
    )
    assignment = (
        customer_assignments(tenant=tenant, segment=segment)
        .filter(customer__public_id=key.customer_id, **legal_entity)
        .first()
    )
    if assignment is None:
        raise NotFound(
            f"The customer {key} is not assigned to the segment {segment_id}.",
            resource_id=key.customer_id,
        )
    return assignment
