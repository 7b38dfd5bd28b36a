"""Writes of coupons. The API and the admin both come through here."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from segments_project import versioned
from segments_project.api.documents import check_version, invalid, requested_version
from segments_project.api.patch import apply_patch, merge_patch
from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record
from segments_project.errors import AlreadyExists, NotFound

from ..documents.coupon_writes import coupon_values
from ..documents.coupons import (
    COUPON_EVENT_FIELDS,
    COUPON_READ_ONLY_PATHS,
    clean_code,
    generate_code,
    stored_document,
)
from ..models import Coupon
from ..selectors.coupons import coupon_not_found

# Generated codes are random; a clash with an existing code is retried this often.
GENERATION_ATTEMPTS = 5


def no_storefront_answer(coupon: Coupon, created: bool) -> None:
    """No cached storefront answer shows a coupon (validations are computed per request):
    a coupon write leaves the storefront's cache alone."""


def _locked(tenant: str, code: str) -> Coupon:
    """The live coupon, locked until the transaction ends; NotFound when missing or deleted."""
    coupon = Coupon.objects.select_for_update().filter(tenant_id=tenant, public_id=code).first()
    if coupon is None:
        raise coupon_not_found(code)
    if coupon.deleted:
        raise NotFound(f"The coupon with code {code} has been deleted.", resource_id=code)
    return coupon


def insert_coupon(tenant: str, code: str, values: dict[str, Any]) -> Coupon:
    """Inserts a coupon of valid values (in a savepoint); AlreadyExists when a unique
    constraint refuses it (the code, or a second referral coupon of one customer)."""
    now = timezone.now()
    coupon = Coupon(
        tenant_id=tenant, public_id=code, version=1, created_at=now, modified_at=now, **values
    )
    try:
        with transaction.atomic():
            coupon.save(force_insert=True)
    except IntegrityError as exc:
        raise AlreadyExists(f"A coupon with code {code} already exists.", resource_id=code) from exc
    record(tenant, [Change(DocumentType.COUPON, code, AuditAction.CREATED, None, values)])
    return coupon


@transaction.atomic
def coupon_create(*, tenant: str, document: dict[str, Any]) -> Coupon:
    """Creates a coupon with the document's code (upper-cased) or a generated one.

    409 if the code is taken, also by a soft-deleted coupon.
    """
    values = coupon_values(document, tenant=tenant)
    if document.get("code") is not None:
        return insert_coupon(tenant, clean_code(document["code"]), values)
    for attempt in range(GENERATION_ATTEMPTS):
        try:
            return insert_coupon(tenant, generate_code(), values)
        except AlreadyExists:
            if attempt == GENERATION_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _keep_referral_owner(current: Coupon, document: dict[str, Any], values: dict[str, Any]) -> None:
    """A referral coupon stays its customer's: an absent issuedTo keeps it, another is a 400
    (the one-per-customer rule and the owner's refusal hang on it)."""
    if document.get("issuedTo") is None:
        values["issued_to"] = current.issued_to
    elif values["issued_to"] != current.issued_to:
        raise invalid("issuedTo", "The issuedTo of a referral coupon cannot be changed.")


def _replace(current: Coupon, document: Any) -> Coupon:
    """Writes the document over the locked coupon: same code, current version, valid."""
    if not isinstance(document, dict):
        raise invalid("body", "A coupon must be a JSON object.")
    if document.get("code") is not None and clean_code(document["code"]) != current.public_id:
        raise invalid("code", "The code of a coupon cannot be changed.")
    check_version(
        current=current.version,
        requested=requested_version(document),
        resource_id=current.public_id,
    )
    values = coupon_values(document, tenant=current.tenant_id)
    if current.referral_coupon:
        _keep_referral_owner(current, document, values)
    return versioned.update_changed(
        current,
        values,
        audit_type=DocumentType.COUPON,
        event_fields=COUPON_EVENT_FIELDS,
        on_content_change=no_storefront_answer,
    )


@transaction.atomic
def coupon_update(*, tenant: str, code: str, document: Any, partial: bool = False) -> Coupon:
    """Replaces the coupon (PUT), or with `partial` merges the document into it (RFC 7396).

    Absent members take their defaults on a full replacement. A stale `metadata.version`
    is a 409 and changes nothing; a write that changes nothing keeps the version.
    """
    current = _locked(tenant, code)
    if partial:
        if not isinstance(document, dict):
            raise invalid("body", "A partial update is a JSON object.")
        document = merge_patch(stored_document(current), document)
    return _replace(current, document)


@transaction.atomic
def coupon_patch(*, tenant: str, code: str, patch: Any) -> Coupon:
    """Applies a JSON Patch (array) or merge patch (object); the result must be valid."""
    current = _locked(tenant, code)
    return _replace(
        current, apply_patch(stored_document(current), patch, read_only=COUPON_READ_ONLY_PATHS)
    )


@transaction.atomic
def coupon_delete(*, tenant: str, code: str) -> None:
    """Soft-deletes the coupon: kept with its redemptions, hidden from lists, unusable.

    Deleting a deleted coupon changes nothing; a missing one is NotFound.
    """
    coupon = Coupon.objects.select_for_update().filter(tenant_id=tenant, public_id=code).first()
    if coupon is None:
        raise coupon_not_found(code)
    if not coupon.deleted:
        versioned.update_changed(coupon, {"deleted": True}, on_content_change=no_storefront_answer)
        change = Change(
            DocumentType.COUPON, code, AuditAction.DELETED, None, {"deleted": [False, True]}
        )
        record(tenant, [change])
