"""The `legal-entities` and `customers` import kinds: their documents, upserted by id as
a `PUT` would (see `segments_project.imports.documents`); a customer row with the links
to the legal entities it acts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from segments_project.imports.chunks import Accepted
from segments_project.imports.documents import DocumentImporter
from segments_project.imports.formats import MIXINS, Field, FieldType, Layout
from segments_project.writes import Counts

from ..documents.directory import customer_values, legal_entity_ids_of, legal_entity_values
from ..models import Customer, CustomerLegalEntity, LegalEntity
from ..services.directory import legal_entities_locked, legal_entity_not_found


class LegalEntityImporter(DocumentImporter):
    kind = "legal-entities"
    label = "legal entity"
    layout = Layout((Field("id"), Field("name"), *MIXINS))
    model = LegalEntity
    values = staticmethod(legal_entity_values)


@dataclass(slots=True)
class CustomerRow(Accepted):
    """An accepted customer row with the legal entities it acts for (public ids)."""

    legal_entity_ids: tuple[str, ...] = ()


class CustomerImporter(DocumentImporter):
    """Customers with their `legalEntityIds` (a JSON array column in CSV). As on the API,
    the links are replaced by the row's, and a change of links alone is a change of the
    customer (version + 1). The legal entities must exist: import them first."""

    kind = "customers"
    label = "customer"
    layout = Layout(
        (
            Field("id"),
            Field("firstName"),
            Field("lastName"),
            Field("email"),
            Field("legalEntityIds", FieldType.JSON),
            *MIXINS,
        )
    )
    model = Customer
    values = staticmethod(customer_values)

    def accept(self, line: int, document: Any) -> CustomerRow:
        item = super().accept(line, document)
        legal_entity_ids = tuple(legal_entity_ids_of(document))
        return CustomerRow(item.line, item.key, item.values, item.version, legal_entity_ids)

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        rows: list[CustomerRow] = batch  # type: ignore[assignment]
        fields = list(rows[0].values)
        stored = self.stored(rows, fields)  # customers first, then legal entities: as the API
        legal_entities = legal_entities_locked(
            tenant=self.tenant,
            legal_entity_ids={le for row in rows for le in row.legal_entity_ids},
        )
        links: dict[int, dict[int, int]] = {}  # customer pk -> legal entity pk -> link pk
        for pk, customer, legal_entity in (
            CustomerLegalEntity.objects.filter(
                tenant_id=self.tenant, customer_id__in=[row["pk"] for row in stored.values()]
            )
            .order_by()
            .values_list("pk", "customer_id", "legal_entity_id")
        ):
            links.setdefault(customer, {})[legal_entity] = pk
        wanted: dict[str, set[int]] = {}
        valid = []
        for row in rows:
            unknown = [le for le in row.legal_entity_ids if le not in legal_entities]
            if unknown:
                error = legal_entity_not_found(customer_id=row.key, legal_entity_id=unknown[0])
                self.reject(row.line, error, document=row)
                continue
            wanted[row.key] = {legal_entities[le] for le in row.legal_entity_ids}
            valid.append(row)

        def links_changed(item: Accepted, current: dict[str, Any]) -> bool:
            return wanted[item.key] != set(links.get(current["pk"], {}))

        written = self.upsert(
            self.planned(valid, stored, counts, now, also_changed=links_changed), fields
        )
        removed, added = [], []
        for customer in written:
            have = links.get(customer.pk, {})
            want = wanted[customer.public_id]
            removed += [link for legal_entity, link in have.items() if legal_entity not in want]
            added += [
                CustomerLegalEntity(
                    tenant_id=self.tenant, customer_id=customer.pk, legal_entity_id=legal_entity
                )
                for legal_entity in sorted(want - set(have))
            ]
        if removed:
            CustomerLegalEntity.objects.filter(pk__in=removed).delete()
        CustomerLegalEntity.objects.bulk_create(added)
