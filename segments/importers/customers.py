"""The `legal-entities` and `customers` import kinds: their documents, upserted by id as
a `PUT` would, written by `legal_entities_upsert_many` and `customers_upsert_many` (see
`segments_project.imports.documents`); a customer row with the links to the legal
entities it acts for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segments_project.imports.chunks import Accepted
from segments_project.imports.documents import DocumentImporter
from segments_project.imports.formats import MIXINS, Field, FieldType, Layout

from ..documents.directory import customer_values, legal_entity_ids_of, legal_entity_values
from ..services.directory import customers_upsert_many, legal_entities_upsert_many


class LegalEntityImporter(DocumentImporter):
    kind = "legal-entities"
    label = "legal entity"
    layout = Layout((Field("id"), Field("name"), *MIXINS))
    values = staticmethod(legal_entity_values)
    upsert_many = staticmethod(legal_entities_upsert_many)


@dataclass(slots=True)
class CustomerRow(Accepted):
    """An accepted customer row with the legal entities it acts for (public ids)."""

    legal_entity_ids: tuple[str, ...] = ()


class CustomerImporter(DocumentImporter):
    """Customers with their `legalEntityIds` and `addresses` (JSON array columns in CSV,
    as `mixins` is a JSON object column; JSON Lines carries them as they are). As on the API,
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
            Field("contactPhone"),
            Field("company"),
            Field("b2b.companyRegistrationId"),
            Field("preferredSite"),
            Field("preferredLanguage"),
            Field("preferredCurrency"),
            Field("active", FieldType.BOOL),
            Field("onHold", FieldType.BOOL),
            Field("addresses", FieldType.JSON),
            Field("legalEntityIds", FieldType.JSON),
            *MIXINS,
        )
    )
    values = staticmethod(customer_values)
    upsert_many = staticmethod(customers_upsert_many)

    def accept(self, line: int, document: Any) -> CustomerRow:
        item = super().accept(line, document)
        legal_entity_ids = tuple(legal_entity_ids_of(document))
        return CustomerRow(item.line, item.key, item.values, item.version, legal_entity_ids)
