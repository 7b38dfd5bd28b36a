"""The customers, legal entities and links a members write names, looked up as sets.

The customers and legal entities are locked `FOR KEY SHARE` until the transaction ends:
the weakest row lock that still makes their deletion wait (a deleted customer would
otherwise fail the new assignments' foreign keys at commit, a 500 instead of a 400). The
customer writers lock the customer `FOR UPDATE` before they change it or its links, so
they wait too, and a member write never sees links that change before it commits. Member
writers do not wait for each other on customers (they take turns on the segment), nor
for customer imports, whose `FOR NO KEY UPDATE` a key-share lock lets through: their link
removals leave existing B2B assignments in place, so a write that ran first is consistent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.db import connection

from segments_project.db.sql import one_of, row_lock
from segments_project.errors import ErrorDetail, ValidationFailed

from ..documents.members import MemberKey
from ..models import Customer, CustomerLegalEntity, LegalEntity

# (customer pk, legal entity pk or None): how a member is told apart within a segment.
MemberPair = tuple[int, int | None]


def _pks_locked(
    model: type[Customer] | type[LegalEntity], *, tenant: str, public_ids: Collection[str]
) -> dict[str, int]:
    """Public id to pk of the tenant's rows, locked (see the module docstring).

    SQL because Django's ORM has no `FOR KEY SHARE`.
    """
    if not public_ids:
        return {}
    named, params = one_of("public_id", public_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT public_id, id FROM {model._meta.db_table} "
            f"WHERE tenant_id = %s AND {named} ORDER BY id{row_lock('KEY SHARE')}",
            [tenant, *params],
        )
        return dict(cursor.fetchall())


def _links(
    *, tenant: str, customers: Collection[int], legal_entities: Collection[int]
) -> set[tuple[int, int]]:
    """The (customer, legal entity) pairs among these that are linked."""
    if not customers or not legal_entities:
        return set()
    of_customers, customer_params = one_of("customer_id", customers)
    of_legal_entities, legal_entity_params = one_of("legal_entity_id", legal_entities)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, legal_entity_id FROM {CustomerLegalEntity._meta.db_table} "
            f"WHERE tenant_id = %s AND {of_customers} AND {of_legal_entities}",
            [tenant, *customer_params, *legal_entity_params],
        )
        return set(cursor.fetchall())


def _not_found(field: str, message: str, resource_id: str) -> ValidationFailed:
    return ValidationFailed(
        message, resource_id=resource_id, details=[ErrorDetail(field, "not_found", message)]
    )


class MemberDirectory:
    """The customers, legal entities and links a request names, fetched in one query each."""

    def __init__(self, *, tenant: str, keys: Sequence[MemberKey]) -> None:
        self.customers = _pks_locked(
            Customer, tenant=tenant, public_ids={key.customer_id for key in keys}
        )
        self.legal_entities = _pks_locked(
            LegalEntity,
            tenant=tenant,
            public_ids={key.legal_entity_id for key in keys if key.legal_entity_id},
        )
        self.links = _links(
            tenant=tenant,
            customers=self.customers.values(),
            legal_entities=self.legal_entities.values(),
        )

    def resolve(self, key: MemberKey) -> MemberPair:
        """The key's customer and legal entity rows; a 400 naming what does not fit."""
        customer = self.customers.get(key.customer_id)
        if customer is None:
            raise _not_found(
                "customerId",
                f"The customer with id {key.customer_id} has not been found.",
                key.customer_id,
            )
        if key.legal_entity_id is None:
            return customer, None
        legal_entity = self.legal_entities.get(key.legal_entity_id)
        if legal_entity is None:
            raise _not_found(
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
