"""Customers and legal entities as the API speaks them: validation of incoming documents
and rendering of rows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from segments_project.api.documents import clean_id, clean_mixins, invalid, render_metadata
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec

from ..models import Customer, LegalEntity
from .customer_profile import (
    PROFILE_DOCUMENT_FIELDS,
    PROFILE_QUERY_FIELDS,
    optional_text,
    profile_members,
    profile_values,
)

MAX_NAME_LENGTH = 255
MAX_EMAIL_LENGTH = 320
MAX_LEGAL_ENTITIES = 1000

# Members a document may carry; PATCH may only touch these.
CUSTOMER_DOCUMENT_FIELDS = frozenset(
    {"id", "firstName", "lastName", "email", "legalEntityIds", "mixins", "metadata"}
    | PROFILE_DOCUMENT_FIELDS
)
LEGAL_ENTITY_DOCUMENT_FIELDS = frozenset({"id", "name", "mixins", "metadata"})

CUSTOMER_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "firstName": FieldSpec("first_name", FieldKind.STRING),
    "lastName": FieldSpec("last_name", FieldKind.STRING),
    "email": FieldSpec("email", FieldKind.STRING),
    **PROFILE_QUERY_FIELDS,
    # A join on the link table: `legalEntityIds:x` holds when one of the links is to x.
    "legalEntityIds": FieldSpec("legal_entities__public_id", FieldKind.STRING, sortable=False),
    **METADATA_QUERY_FIELDS,
}

LEGAL_ENTITY_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "name": FieldSpec("name", FieldKind.STRING),
    **METADATA_QUERY_FIELDS,
}


def customer_values(
    document: Any, *, content_language: str | None = None, current: Customer | None = None
) -> dict[str, Any]:
    """The model field values a customer document asks for, or a 400 naming the first problem.

    Absent optional members are empty (see `profile_values` for the members taken from
    Emporix's customer: contact, company, preferences, state, addresses).
    `legalEntityIds` are not a model field: see `legal_entity_ids_of`. (`content_language`
    and `current` complete the signature that `DocumentKind.values` has; a customer has no
    localized member.)
    """
    if not isinstance(document, dict):
        raise invalid("body", "A customer must be a JSON object.")
    first_name = optional_text(document.get("firstName"), "firstName", MAX_NAME_LENGTH)
    last_name = optional_text(document.get("lastName"), "lastName", MAX_NAME_LENGTH)
    email = optional_text(document.get("email"), "email", MAX_EMAIL_LENGTH)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise invalid("email", f"email {email!r} is not a valid email address.") from exc
    profile = profile_values(document)
    mixins, metadata_mixins = clean_mixins(document)
    return {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        **profile,
        "mixins": mixins,
        "metadata_mixins": metadata_mixins,
    }


def legal_entity_ids_of(document: dict[str, Any]) -> list[str]:
    """The distinct ids in `legalEntityIds`, in their order; absent or null means none.

    Only their shape is checked here: whether they exist is for the service to find out.
    """
    value = document.get("legalEntityIds")
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("legalEntityIds", "legalEntityIds must be an array of legal entity ids.")
    if len(value) > MAX_LEGAL_ENTITIES:
        raise invalid(
            "legalEntityIds", f"legalEntityIds may name at most {MAX_LEGAL_ENTITIES} ids."
        )
    return list(dict.fromkeys(clean_id(item, "legalEntityIds") for item in value))


def customer_document(customer: Customer) -> dict[str, Any]:
    """The customer as the API returns it.

    Reads the customer's legal entities through `customer.legal_entities.all()`: lists
    prefetch them (see the selectors), so that a page costs no query per customer.
    """
    document: dict[str, Any] = {
        "id": customer.public_id,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "email": customer.email,
        **profile_members(customer),
        "legalEntityIds": sorted(entity.public_id for entity in customer.legal_entities.all()),
    }
    if customer.mixins:
        document["mixins"] = customer.mixins
    document["metadata"] = render_metadata(customer)
    return document


def legal_entity_values(
    document: Any, *, content_language: str | None = None, current: LegalEntity | None = None
) -> dict[str, Any]:
    """The model field values a legal entity document asks for, or a 400 naming the problem."""
    if not isinstance(document, dict):
        raise invalid("body", "A legal entity must be a JSON object.")
    name = document.get("name")
    if name is None or name == "":
        raise invalid("name", "name is required.", type="required")
    if not isinstance(name, str):
        raise invalid("name", "name must be a string.")
    if not name.strip():
        raise invalid("name", "name must not be blank.", type="required")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid("name", f"name is longer than {MAX_NAME_LENGTH} characters.")
    mixins, metadata_mixins = clean_mixins(document)
    return {"name": name, "mixins": mixins, "metadata_mixins": metadata_mixins}


def legal_entity_document(legal_entity: LegalEntity) -> dict[str, Any]:
    """The legal entity as the API returns it."""
    document: dict[str, Any] = {"id": legal_entity.public_id, "name": legal_entity.name}
    if legal_entity.mixins:
        document["mixins"] = legal_entity.mixins
    document["metadata"] = render_metadata(legal_entity)
    return document
