"""Forms of the customer directory admin (customers and legal entities).

Like the segment forms, they only collect and shape input; every rule is checked by the
document functions the API uses (`customer_values`, `legal_entity_values`), so the admin
refuses exactly what the API refuses, with the same messages.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin

from segments_project.admin import DocumentAdminForm
from segments_project.admin.widgets import PrettyJSONField
from segments_project.tenancy.admin_scoping import (
    TenantAutocompleteSelectMultiple,
    autocomplete_label_of,
    form_tenant,
)

from ..documents.customer_profile import PROFILE_MODEL_FIELDS, address_in_order
from ..documents.directory import customer_values, legal_entity_values
from ..models import Customer, LegalEntity

_DIRECTORY_ERROR_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "contactPhone": "contact_phone",
    "company": "company",
    "b2b": "company_registration_id",
    "preferredSite": "preferred_site",
    "preferredLanguage": "preferred_language",
    "preferredCurrency": "preferred_currency",
    "active": "active",
    "onHold": "on_hold",
    "addresses": "addresses",
    "legalEntityIds": "legal_entities",
    "name": "name",
    "mixins": "mixins",
    "metadata": "metadata_mixins",
    "metadata.mixins": "metadata_mixins",
    "id": "public_id",
}


def _metadata(values: dict[str, Any], version: int | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"mixins": values.get("metadata_mixins") or {}}
    if version is not None:
        metadata["version"] = version
    return metadata


class AddressesField(PrettyJSONField):
    """The customer's addresses as a JSON array, one address per line; blank is none.

    The members are checked by the API's rules (`customer_values`), with its messages."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 100}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            if not value:
                return ""
            lines = (json.dumps(address_in_order(address), ensure_ascii=False) for address in value)
            return "[\n  " + ",\n  ".join(lines) + "\n]"
        return super().prepare_value(value)

    def clean(self, value: Any) -> Any:
        cleaned = forms.JSONField.clean(self, value)
        if cleaned in (None, "", {}):
            return []
        if not isinstance(cleaned, list):
            raise forms.ValidationError(
                'Give a JSON array of addresses, e.g. [{"country": "DE", "city": "Berlin", '
                '"zipCode": "10115", "tags": ["billing"], "isDefault": true}].'
            )
        return cleaned


def customer_document_from_form(
    values: dict[str, Any], *, version: int | None = None
) -> dict[str, Any]:
    """The API document for a customer form's cleaned values."""
    registration_id = values.get("company_registration_id") or ""
    return {
        "firstName": values.get("first_name") or "",
        "lastName": values.get("last_name") or "",
        "email": values.get("email") or "",
        "contactPhone": values.get("contact_phone") or "",
        "company": values.get("company") or "",
        "b2b": {"companyRegistrationId": registration_id} if registration_id else None,
        "preferredSite": values.get("preferred_site") or "",
        "preferredLanguage": values.get("preferred_language") or "",
        "preferredCurrency": values.get("preferred_currency") or "",
        "active": bool(values.get("active")),
        "onHold": bool(values.get("on_hold")),
        "addresses": values.get("addresses") or [],
        "legalEntityIds": sorted(entity.public_id for entity in values.get("legal_entities") or []),
        "mixins": values.get("mixins") or {},
        "metadata": _metadata(values, version),
    }


def legal_entity_document_from_form(
    values: dict[str, Any], *, version: int | None = None
) -> dict[str, Any]:
    """The API document for a legal entity form's cleaned values."""
    return {
        "name": values.get("name") or "",
        "mixins": values.get("mixins") or {},
        "metadata": _metadata(values, version),
    }


class CustomerForm(DocumentAdminForm):
    addresses = AddressesField(
        label="Addresses",
        help_text='One JSON object per line, e.g. {"country": "DE", "city": "Berlin", '
        '"zipCode": "10115", "street": "Hauptstr. 1", "tags": ["billing"], "isDefault": true}. '
        "Country codes are ISO 3166-1 alpha-2.",
    )
    legal_entities = forms.ModelMultipleChoiceField(
        queryset=LegalEntity.objects.none(),
        required=False,
        label="Legal entities",
        help_text="The companies the customer may buy for (B2B).",
    )

    error_fields = _DIRECTORY_ERROR_FIELDS

    class Meta:
        model = Customer
        fields = [
            "tenant",
            "public_id",
            "first_name",
            "last_name",
            "email",
            *PROFILE_MODEL_FIELDS,
            "mixins",
            "metadata_mixins",
        ]
        help_texts = {
            "preferred_language": "A language code like en or en_US.",
            "preferred_currency": "An ISO 4217 code like EUR.",
            "active": "Inactive customers stay in the directory and in their segments.",
        }

    def __init__(self, *args: Any, admin_site: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenant = form_tenant(self)
        field = self.fields["legal_entities"]
        field.queryset = (
            LegalEntity.objects.filter(tenant_id=tenant) if tenant else LegalEntity.objects.none()
        )
        site = admin_site or admin.site
        field.widget = TenantAutocompleteSelectMultiple(
            Customer._meta.get_field("legal_entities"), site, tenant=tenant
        )
        field.widget.choices = field.choices
        label = autocomplete_label_of(site, LegalEntity)
        if label is not None:
            field.label_from_instance = label
        if self.instance.pk:
            field.initial = list(self.instance.legal_entities.values_list("pk", flat=True))

    def check_document(self, cleaned: dict[str, Any]) -> None:
        customer_values(customer_document_from_form(cleaned))


class LegalEntityForm(DocumentAdminForm):
    error_fields = _DIRECTORY_ERROR_FIELDS

    class Meta:
        model = LegalEntity
        fields = ["tenant", "public_id", "name", "mixins", "metadata_mixins"]

    def check_document(self, cleaned: dict[str, Any]) -> None:
        legal_entity_values(legal_entity_document_from_form(cleaned))
