"""Customer assignments as the API speaks them: write documents, bulk elements, rendering,
and the outcome of each element of a bulk request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segments_project.api.bulk import status_text
from segments_project.api.documents import (
    clean_id,
    clean_mixins,
    invalid,
    render_metadata,
    requested_version,
)
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec
from segments_project.errors import ApplicationError

from ..models import AssignmentType, SegmentCustomerAssignment

CUSTOMER_ASSIGNMENT_QUERY_FIELDS: dict[str, FieldSpec] = {
    "customer.id": FieldSpec("customer__public_id", FieldKind.STRING),
    "customerId": FieldSpec("customer__public_id", FieldKind.STRING),
    "customer.firstName": FieldSpec("customer__first_name", FieldKind.STRING),
    "customer.lastName": FieldSpec("customer__last_name", FieldKind.STRING),
    "customer.email": FieldSpec("customer__email", FieldKind.STRING),
    "legalEntity.id": FieldSpec("legal_entity__public_id", FieldKind.STRING),
    "legalEntityId": FieldSpec("legal_entity__public_id", FieldKind.STRING),
    "legalEntity.name": FieldSpec("legal_entity__name", FieldKind.STRING),
    "assignmentType": FieldSpec(
        "assignment_type", FieldKind.ENUM, choices=tuple(AssignmentType.values)
    ),
    **METADATA_QUERY_FIELDS,
}


@dataclass(frozen=True)
class MemberKey:
    """Who is assigned: a customer alone (B2C), or acting for a legal entity (B2B)."""

    customer_id: str
    legal_entity_id: str | None = None

    def __str__(self) -> str:
        if self.legal_entity_id is None:
            return self.customer_id
        return f"{self.customer_id} for {self.legal_entity_id}"


@dataclass(frozen=True)
class MemberWrite:
    """One validated upsert: the member, the values to store and the version it is based on."""

    key: MemberKey
    values: dict[str, Any]
    version: int | None


def _check_assignment_type(document: dict[str, Any]) -> None:
    """`assignmentType` is read-only (the vendor's upsert has no such member); a client may
    send back the MANUAL it read, but cannot make an AUTOMATIC member: those are the
    segment criteria's (docs/dynamic-segments.md)."""
    value = document.get("assignmentType")
    if value in (None, AssignmentType.MANUAL):
        return
    if value == AssignmentType.AUTOMATIC:
        raise invalid(
            "assignmentType",
            "AUTOMATIC assignments are made by the segment's criteria only; a member "
            "written through the API is MANUAL.",
        )
    raise invalid("assignmentType", "assignmentType must be MANUAL, or left out.")


def _member_values(document: dict[str, Any]) -> dict[str, Any]:
    mixins, metadata_mixins = clean_mixins(document)
    _check_assignment_type(document)
    # Whatever the API writes is a manual assignment (over an AUTOMATIC one too).
    return {
        "mixins": mixins,
        "metadata_mixins": metadata_mixins,
        "assignment_type": AssignmentType.MANUAL,
    }


def member_key(customer_id: Any, legal_entity_id: Any = None) -> MemberKey:
    """The member the ids name; a 400 naming the field when an id is malformed.

    A missing (None) legal entity id names the B2C assignment.
    """
    if customer_id in (None, ""):
        raise invalid("customerId", "customerId is required.", type="required")
    return MemberKey(
        customer_id=clean_id(customer_id, "customerId"),
        legal_entity_id=(
            None if legal_entity_id is None else clean_id(legal_entity_id, "legalEntityId")
        ),
    )


def member_write(key: MemberKey, document: Any) -> MemberWrite:
    """The write `{mixins?, metadata?: {version?, mixins?}}` asks for, or a 400 naming the field.

    An absent body counts as an empty document; ids in the body must match the path's.
    """
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise invalid("body", "A customer assignment must be a JSON object.")
    for member, expected in (
        ("customerId", key.customer_id),
        ("legalEntityId", key.legal_entity_id),
    ):
        if document.get(member) not in (None, expected):
            raise invalid(member, f"The {member} in the body differs from the one in the path.")
    return MemberWrite(
        key=key, values=_member_values(document), version=requested_version(document)
    )


def bulk_member_write(element: Any) -> MemberWrite:
    """An element `{customerId, legalEntityId?, mixins?, metadata?}` of a bulk upsert."""
    if not isinstance(element, dict):
        raise invalid("body", "A customer assignment must be a JSON object with a customerId.")
    key = member_key(element.get("customerId"), element.get("legalEntityId"))
    return MemberWrite(key=key, values=_member_values(element), version=requested_version(element))


def bulk_member_key(element: Any) -> MemberKey:
    """An element `{customerId, legalEntityId?}` of a bulk delete."""
    if not isinstance(element, dict):
        raise invalid("body", "An element must be a JSON object with a customerId.")
    return member_key(element.get("customerId"), element.get("legalEntityId"))


def customer_assignment_document(assignment: SegmentCustomerAssignment) -> dict[str, Any]:
    """The assignment as the API returns it; `legalEntity` only for B2B assignments.

    Needs `customer` and `legal_entity` loaded with the assignment (the selector joins them).
    """
    customer = assignment.customer
    document: dict[str, Any] = {
        "customer": {
            "id": customer.public_id,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "email": customer.email,
        }
    }
    if assignment.legal_entity is not None:
        document["legalEntity"] = {
            "id": assignment.legal_entity.public_id,
            "name": assignment.legal_entity.name,
        }
    document["assignmentType"] = assignment.assignment_type
    if assignment.mixins:
        document["mixins"] = assignment.mixins
    document["metadata"] = render_metadata(assignment)
    return document


@dataclass(frozen=True)
class MemberOutcome:
    """What became of one element of a bulk request."""

    key: MemberKey | None
    created: bool = False
    error: ApplicationError | None = None

    @property
    def code(self) -> int:
        if self.error is not None:
            return int(self.error.status_code)
        return 201 if self.created else 204

    def as_entry(self, index: int) -> dict[str, Any]:
        """The element's entry in a 207 answer (the vendor's BulkAssignmentResponse)."""
        entry: dict[str, Any] = {"index": index, "code": self.code}
        entry["status"] = status_text(self.code)
        if self.error is not None:
            entry["message"] = self.error.message
        return entry
