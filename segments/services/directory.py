"""Writes of customers and legal entities. The API, the admin and the imports come
through here.

A customer's `legalEntityIds` are rows of the link table, written in the customer's
transaction: the customer row is locked first (as for any versioned document), then the
named legal entities (`FOR NO KEY UPDATE`, in primary key order), so that a legal entity
deleted meanwhile is reported as unknown instead of failing the link's foreign key. A
change of links alone counts as a change of the customer: it grows the version.

Every write of customers or legal entities evaluates the written customers against the
tenant's rule segments in its own transaction (`write_evaluation.py`): it locks the rule
segments first, before its own rows, and evaluates once it has written.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from segments_project import versioned
from segments_project.api.documents import check_version, clean_id, requested_version
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import AlreadyExists, ErrorDetail, ValidationFailed, field_error
from segments_project.events.append import EventDraft, events_append
from segments_project.events.types import EventType, ResourceType
from segments_project.tenancy.services import customer_tokens_revoke
from segments_project.tenancy.versions import customers_changed
from segments_project.writes import Upserted

from ..documents.directory import (
    CUSTOMER_DOCUMENT_FIELDS,
    LEGAL_ENTITY_DOCUMENT_FIELDS,
    customer_document,
    customer_values,
    legal_entity_document,
    legal_entity_ids_of,
    legal_entity_values,
)
from ..models import Customer, CustomerLegalEntity, LegalEntity
from .audit_cascades import record_members_removed
from .storefront_invalidation import member_customers_changed
from .write_evaluation import (
    legal_entity_customers_evaluate,
    rule_segments_locked,
    written_customers_evaluate,
)
from .written_changes import CustomerChanges

CUSTOMER = versioned.DocumentKind(
    model=Customer,
    label="customer",
    values=customer_values,
    render=customer_document,
    document_fields=CUSTOMER_DOCUMENT_FIELDS,
    on_content_change=lambda customer, created: customers_changed(
        tenant=customer.tenant_id, customer_ids=[customer.public_id]
    ),
)

LEGAL_ENTITY = versioned.DocumentKind(
    model=LegalEntity,
    label="legal entity",
    values=legal_entity_values,
    render=legal_entity_document,
    document_fields=LEGAL_ENTITY_DOCUMENT_FIELDS,
    # No storefront answer shows a legal entity's fields; its customers' links and
    # memberships are marked by the writes that change them.
    on_content_change=lambda legal_entity, created: None,
)


# --- customers -------------------------------------------------------------------------------


def legal_entities_locked(*, tenant: str, legal_entity_ids: Collection[str]) -> dict[str, int]:
    """{public id: primary key} of those of the named legal entities that exist, locked
    against deletion until the transaction ends (in key order, one query)."""
    if not legal_entity_ids:
        return {}
    return dict(
        LegalEntity.objects.select_for_update(no_key=True)
        .filter(tenant_id=tenant, public_id__in=legal_entity_ids)
        .order_by("pk")
        .values_list("public_id", "pk")
    )


def legal_entity_not_found(*, customer_id: str, legal_entity_id: str) -> ValidationFailed:
    """The 400 of a customer document naming a legal entity that does not exist."""
    message = f"The legal entity with id {legal_entity_id} has not been found."
    return ValidationFailed(
        message,
        resource_id=customer_id,
        details=[ErrorDetail("legalEntityIds", "not_found", message)],
    )


def _legal_entities_locked(
    *, tenant: str, customer_id: str, legal_entity_ids: Sequence[str]
) -> set[int]:
    """The primary keys of the named legal entities of the tenant, locked against deletion
    until the transaction ends; a 400 naming the first id that is unknown."""
    found = legal_entities_locked(tenant=tenant, legal_entity_ids=legal_entity_ids)
    for legal_entity_id in legal_entity_ids:
        if legal_entity_id not in found:
            raise legal_entity_not_found(customer_id=customer_id, legal_entity_id=legal_entity_id)
    return set(found.values())


def _links_sync(customer: Customer, legal_entities: set[int], *, new: bool = False) -> bool:
    """Makes the customer's links exactly `legal_entities`; whether anything changed."""
    reached(Checkpoint.CUSTOMER_LINKS_SYNCING)
    existing: set[int] = (
        set()
        if new
        else set(
            CustomerLegalEntity.objects.filter(tenant_id=customer.tenant_id, customer=customer)
            .order_by()
            .values_list("legal_entity_id", flat=True)
        )
    )
    removed = existing - legal_entities
    added = legal_entities - existing
    if removed:
        CustomerLegalEntity.objects.filter(
            tenant_id=customer.tenant_id, customer=customer, legal_entity_id__in=removed
        ).delete()
    if added:
        CustomerLegalEntity.objects.bulk_create(
            CustomerLegalEntity(
                tenant_id=customer.tenant_id, customer=customer, legal_entity_id=legal_entity
            )
            for legal_entity in sorted(added)
        )
    return bool(removed or added)


def _customer_update(
    customer: Customer, values: dict[str, Any], legal_entities: set[int], changes: CustomerChanges
) -> Customer:
    """Writes the changed fields and links (told to `changes`); the version grows once if
    anything changed."""
    before = {field: getattr(customer, field) for field in values}
    version = customer.version
    links_changed = _links_sync(customer, legal_entities)
    changes.add(before, values, links_changed=links_changed)
    versioned.update_changed(customer, values, on_content_change=CUSTOMER.on_content_change)
    if links_changed and customer.version == version:
        customer.version += 1
        customer.modified_at = timezone.now()
        customer.save(update_fields=["version", "modified_at"])
        customers_changed(tenant=customer.tenant_id, customer_ids=[customer.public_id])
    return customer


@transaction.atomic
def customer_upsert(
    *, tenant: str, customer_id: str, document: dict[str, Any]
) -> tuple[Customer, bool]:
    """Replaces the customer (links included) or creates it; returns it and whether it was
    created.

    An unknown legal entity id is a 400 and a stale `metadata.version` a 409; both change
    nothing.
    """
    clean_id(customer_id)
    if isinstance(document, dict) and document.get("id") not in (None, customer_id):
        raise field_error("id", "The id in the body differs from the id in the path.")
    rules = rule_segments_locked(tenant=tenant)
    changes = CustomerChanges()
    written = _customer_write(tenant, customer_id, document, changes)
    written_customers_evaluate(
        tenant=tenant, rules=rules, customer_ids=[customer_id], changes=changes
    )
    return written


def _customer_write(
    tenant: str, customer_id: str, document: dict[str, Any], changes: CustomerChanges
) -> tuple[Customer, bool]:
    """The write of `customer_upsert`, before the evaluation."""
    current = versioned.locked(CUSTOMER, tenant, customer_id)
    values = customer_values(document, current=current)
    legal_entity_ids = legal_entity_ids_of(document)
    if current is None:
        legal_entities = _legal_entities_locked(
            tenant=tenant, customer_id=customer_id, legal_entity_ids=legal_entity_ids
        )
        try:
            customer = versioned.insert(CUSTOMER, tenant, customer_id, values)
        except AlreadyExists:
            # Another writer created it since our read; update what they created.
            current = versioned.locked(CUSTOMER, tenant, customer_id)
            if current is None:
                raise
        else:
            _links_sync(customer, legal_entities, new=True)
            changes.add_created()
            return customer, True
    check_version(
        current=current.version, requested=requested_version(document), resource_id=customer_id
    )
    reached(Checkpoint.CUSTOMER_VERSION_CHECKED)
    legal_entities = _legal_entities_locked(
        tenant=tenant, customer_id=customer_id, legal_entity_ids=legal_entity_ids
    )
    return _customer_update(current, values, legal_entities, changes), False


class CustomerRow(versioned.DocumentRow, Protocol):
    """A row of `customers_upsert_many`: a customer's values and the public ids of the
    legal entities it acts for."""

    legal_entity_ids: Sequence[str]


@transaction.atomic
def customers_upsert_many(
    *, tenant: str, rows: Sequence[CustomerRow], now: datetime | None = None
) -> Upserted:
    """Replaces or creates many customers by id at once with their links, set-based (the
    imports), with the rules of `customer_upsert`: the customers are locked first, then
    the named legal entities; a row naming an unknown legal entity is refused; the links
    become the row's, and a change of links alone grows the version. See
    `versioned.documents_upsert_many`; the caller marks the tenant's content changed."""
    rules = rule_segments_locked(tenant=tenant)
    changes = CustomerChanges()
    upserted = versioned.until_settled(
        rows, lambda batch, upserted: _customers_write(tenant, batch, now, upserted, changes)
    )
    # Refused rows too: evaluating a customer nobody changed changes nothing.
    written_customers_evaluate(
        tenant=tenant,
        rules=rules,
        customer_ids={row.key for row in rows},
        now=now,
        changes=changes,
    )
    return upserted


def _customers_write(
    tenant: str,
    rows: Sequence[CustomerRow],
    now: datetime | None,
    upserted: Upserted,
    changes: CustomerChanges,
) -> None:
    """One pass of `customers_upsert_many` (rows another writer created meanwhile are left
    in `upserted.raced`); what the rows change is told to `changes`."""
    fields = list(rows[0].values)
    stored = versioned.locked_many(CUSTOMER, tenant, [row.key for row in rows], fields)
    legal_entities = legal_entities_locked(
        tenant=tenant, legal_entity_ids={le for row in rows for le in row.legal_entity_ids}
    )
    links = _links_of_many(tenant, [row["pk"] for row in stored.values()])
    wanted: dict[str, set[int]] = {}
    valid = []
    for row in rows:
        unknown = [le for le in row.legal_entity_ids if le not in legal_entities]
        if unknown:
            error = legal_entity_not_found(customer_id=row.key, legal_entity_id=unknown[0])
            upserted.refused.append((row, error))
            continue
        wanted[row.key] = {legal_entities[le] for le in row.legal_entity_ids}
        valid.append(row)

    def links_changed(row: versioned.DocumentRow, current: dict[str, Any]) -> bool:
        return wanted[row.key] != set(links.get(current["pk"], {}))

    for row in valid:
        current = stored.get(row.key)
        if current is None:
            changes.add_created()
        else:
            changes.add(current, row.values, links_changed=links_changed(row, current))

    written_before = len(upserted.written)
    versioned.documents_upsert_many(
        CUSTOMER,
        tenant=tenant,
        rows=valid,
        now=now,
        stored=stored,
        also_changed=links_changed,
        upserted=upserted,
    )
    _links_sync_many(tenant, upserted.written[written_before:], links, wanted)


def _links_of_many(tenant: str, customer_pks: list[int]) -> dict[int, dict[int, int]]:
    """customer pk -> legal entity pk -> link pk, of the customers' stored links."""
    links: dict[int, dict[int, int]] = {}
    for pk, customer, legal_entity in (
        CustomerLegalEntity.objects.filter(tenant_id=tenant, customer_id__in=customer_pks)
        .order_by()
        .values_list("pk", "customer_id", "legal_entity_id")
    ):
        links.setdefault(customer, {})[legal_entity] = pk
    return links


def _links_sync_many(
    tenant: str,
    customers: list[Customer],
    links: dict[int, dict[int, int]],
    wanted: dict[str, set[int]],
) -> None:
    """Makes the links of the written customers exactly the wanted ones (two statements)."""
    removed, added = [], []
    for customer in customers:
        have = links.get(customer.pk, {})
        want = wanted[customer.public_id]
        removed += [link for legal_entity, link in have.items() if legal_entity not in want]
        added += [
            CustomerLegalEntity(
                tenant_id=tenant, customer_id=customer.pk, legal_entity_id=legal_entity
            )
            for legal_entity in sorted(want - set(have))
        ]
    if removed:
        CustomerLegalEntity.objects.filter(pk__in=removed).delete()
    CustomerLegalEntity.objects.bulk_create(added)


@transaction.atomic
def customer_patch(*, tenant: str, customer_id: str, patch: Any) -> Customer:
    """Applies a JSON Patch or merge patch (`legalEntityIds` included); the result must be a
    valid customer."""
    rules = rule_segments_locked(tenant=tenant)
    current = versioned.locked(CUSTOMER, tenant, customer_id)
    if current is None:
        raise CUSTOMER.not_found(customer_id)
    document = versioned.patched_document(CUSTOMER, current, patch, content_language=None)
    values = customer_values(document, current=current)
    legal_entities = _legal_entities_locked(
        tenant=tenant, customer_id=customer_id, legal_entity_ids=legal_entity_ids_of(document)
    )
    changes = CustomerChanges()
    customer = _customer_update(current, values, legal_entities, changes)
    written_customers_evaluate(
        tenant=tenant, rules=rules, customer_ids=[customer_id], changes=changes
    )
    return customer


@transaction.atomic
def customer_delete(*, tenant: str, customer_id: str) -> bool:
    """Deletes the customer, its links and its segment memberships, and revokes every token
    that acts for it; False if it did not exist.

    Tokens are revoked even then, so that a repeated DELETE also clears a token issued
    while the first one ran.
    """
    customer = versioned.locked(CUSTOMER, tenant, customer_id)
    if customer is not None:
        record_members_removed(tenant, Q(customer=customer), "customer deleted")
        customer.delete()
        customers_changed(tenant=tenant, customer_ids=[customer_id])
        events_append(
            tenant=tenant,
            drafts=[EventDraft(EventType.CUSTOMER_DELETED, ResourceType.CUSTOMER, customer_id)],
        )
    customer_tokens_revoke(tenant=tenant, customer_id=customer_id)
    return customer is not None


# --- legal entities --------------------------------------------------------------------------


@transaction.atomic
def legal_entity_upsert(
    *, tenant: str, legal_entity_id: str, document: dict[str, Any]
) -> tuple[LegalEntity, bool]:
    """Replaces the legal entity or creates it; returns it and whether it was created.

    A stale `metadata.version` is a 409 and changes nothing. The customers linked to it are
    evaluated against the rule segments.
    """
    rules = rule_segments_locked(tenant=tenant)
    written = versioned.document_upsert(
        LEGAL_ENTITY,
        tenant=tenant,
        public_id=legal_entity_id,
        document=document,
        content_language=None,
    )
    legal_entity_customers_evaluate(tenant=tenant, rules=rules, legal_entity_ids=[legal_entity_id])
    return written


@transaction.atomic
def legal_entities_upsert_many(
    *, tenant: str, rows: Sequence[versioned.DocumentRow], now: datetime | None = None
) -> Upserted:
    """Replaces or creates many legal entities by id at once, set-based (the imports): the
    rules of `legal_entity_upsert`, see `versioned.documents_upsert_many`. The caller
    marks the tenant's content changed. The customers linked to them are evaluated against
    the rule segments."""
    rules = rule_segments_locked(tenant=tenant)
    upserted = versioned.documents_upsert_settled(LEGAL_ENTITY, tenant=tenant, rows=rows, now=now)
    legal_entity_customers_evaluate(
        tenant=tenant, rules=rules, legal_entity_ids={row.key for row in rows}, now=now
    )
    return upserted


@transaction.atomic
def legal_entity_patch(*, tenant: str, legal_entity_id: str, patch: Any) -> LegalEntity:
    """Applies a JSON Patch or merge patch; the result must be a valid legal entity. The
    customers linked to it are evaluated against the rule segments."""
    rules = rule_segments_locked(tenant=tenant)
    legal_entity = versioned.document_patch(
        LEGAL_ENTITY, tenant=tenant, public_id=legal_entity_id, patch=patch, content_language=None
    )
    legal_entity_customers_evaluate(tenant=tenant, rules=rules, legal_entity_ids=[legal_entity_id])
    return legal_entity


@transaction.atomic
def legal_entity_delete(*, tenant: str, legal_entity_id: str) -> bool:
    """Deletes the legal entity, the customers' links to it and the B2B segment memberships
    for it (the customers and their B2C memberships stay); False if it did not exist.

    The linked customers keep their version: growing it would lock customers after the
    legal entity, the reverse of the order in which customer writes lock them.
    """
    legal_entity = versioned.locked(LEGAL_ENTITY, tenant, legal_entity_id)
    if legal_entity is None:
        return False
    record_members_removed(tenant, Q(legal_entity=legal_entity), "legal entity deleted")
    # Its customers' answers for it (their links and B2B memberships go with it).
    linked = CustomerLegalEntity.objects.filter(tenant_id=tenant, legal_entity=legal_entity)
    member_customers_changed(
        tenant=tenant, customer_pks=linked.values_list("customer_id", flat=True)
    )
    legal_entity.delete()
    return True
