"""Forms of the customer directory admin (customers and legal entities).

Like the segment forms, they only collect and shape input; every rule is checked by the
document functions the API uses (`customer_values`, `legal_entity_values`), so the admin
refuses exactly what the API refuses, with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from segments_project.admin import DocumentAdminForm
from segments_project.tenancy.admin_scoping import (
    TenantAutocompleteSelectMultiple,
    autocomplete_label_of,
    form_tenant,
)

from ..documents.directory import customer_values, legal_entity_values
from ..models import Customer, LegalEntity

_DIRECTORY_ERROR_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
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


def customer_document_from_form(
    values: dict[str, Any], *, version: int | None = None
) -> dict[str, Any]:
    """The API document for a customer form's cleaned values."""
    return {
        "firstName": values.get("first_name") or "",
        "lastName": values.get("last_name") or "",
        "email": values.get("email") or "",
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
            "mixins",
            "metadata_mixins",
        ]

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
