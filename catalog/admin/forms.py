"""The catalog's admin forms: a product and a category as the API documents them.

Each form checks its cleaned values with the API's document function (`product_values`,
`category_values`) before the service writes them, so the admin refuses what the API
refuses, with the same messages on the field the API names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from segments_project.admin import (
    DocumentAdminForm,
    LinesField,
    LocalizedTextField,
    localized_display,
)
from segments_project.api.documents import format_datetime
from segments_project.tenancy.admin_scoping import TenantAutocompleteSelectMultiple

from ..documents.categories import category_values
from ..documents.products import product_values
from ..models import Category, CategoryAssignment, Product

# --- products ---------------------------------------------------------------------------------

_PRODUCT_ERROR_FIELDS = {
    "name": "name",
    "code": "code",
    "published": "published",
    "mixins": "mixins",
    "metadata.mixins": "metadata_mixins",
    "metadata": "metadata_mixins",
}


def product_document_from_form(
    values: dict[str, Any], *, version: int | None = None
) -> dict[str, Any]:
    """The API document for a product form's cleaned values."""
    metadata: dict[str, Any] = {"mixins": values.get("metadata_mixins") or {}}
    if version is not None:
        metadata["version"] = version
    return {
        "code": values.get("code") or None,
        "name": values.get("name") or {},
        "published": bool(values.get("published")),
        "mixins": values.get("mixins") or {},
        "metadata": metadata,
    }


class ProductAdminForm(DocumentAdminForm):
    """A product: one name per language, its categories picked by autocomplete."""

    name = LocalizedTextField(label="Name", help_text="One name per language.")
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.none(),
        required=False,
        help_text="The categories the product is placed in.",
    )

    error_fields = _PRODUCT_ERROR_FIELDS

    class Meta:
        model = Product
        fields = ["tenant", "public_id", "code", "name", "published", "mixins", "metadata_mixins"]
        help_texts = {"published": "Unpublished products are hidden from storefronts."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "categories" in self.fields:
            tenant = self.instance.tenant_id if self.instance.pk else None
            field = self.fields["categories"]
            field.queryset = (
                Category.objects.filter(tenant_id=tenant) if tenant else Category.objects.none()
            )
            field.label_from_instance = category_label
            field.widget = TenantAutocompleteSelectMultiple(
                CategoryAssignment._meta.get_field("category"), admin.site, tenant=tenant
            )
            field.widget.choices = field.choices
            if self.instance.pk:
                field.initial = list(
                    CategoryAssignment.objects.filter(
                        tenant_id=tenant, product=self.instance
                    ).values_list("category_id", flat=True)
                )

    def check_document(self, cleaned: dict[str, Any]) -> None:
        product_values(product_document_from_form(cleaned), content_language=None)


def category_label(category: Category) -> str:
    name = localized_display(category.name)
    return f"{category.public_id} — {name}" if name else category.public_id


# --- categories -------------------------------------------------------------------------------

_CATEGORY_ERROR_FIELDS = {
    "localizedName": "name",
    "localizedDescription": "description",
    "localizedSlug": "slug",
    "code": "code",
    "ecn": "ecn",
    "position": "position",
    "published": "published",
    "validity": "valid_to",
    "validity.from": "valid_from",
    "validity.to": "valid_to",
    "parentId": "parent",
    "mixins": "mixins",
    "metadata.mixins": "metadata_mixins",
    "metadata": "metadata_mixins",
}


def category_document_from_form(
    values: dict[str, Any], *, version: int | None = None
) -> dict[str, Any]:
    """The API document for a category form's cleaned values."""
    metadata: dict[str, Any] = {"mixins": values.get("metadata_mixins") or {}}
    if version is not None:
        metadata["version"] = version
    parent = values.get("parent")
    return {
        "parentId": parent.public_id if parent is not None else None,
        "localizedName": values.get("name") or {},
        "localizedDescription": values.get("description") or None,
        "localizedSlug": values.get("slug") or None,
        "code": values.get("code") or None,
        "ecn": values.get("ecn") or [],
        "position": values.get("position"),
        "published": bool(values.get("published")),
        "validity": {
            "from": format_datetime(values.get("valid_from")),
            "to": format_datetime(values.get("valid_to")),
        },
        "mixins": values.get("mixins") or {},
        "metadata": metadata,
    }


class CategoryAdminForm(DocumentAdminForm):
    name = LocalizedTextField(label="Name", help_text="One name per language.")
    description = LocalizedTextField(label="Description", required=False, multiline=True)
    slug = LocalizedTextField(label="URL slug", required=False)
    ecn = LinesField(
        label="External category numbers", required=False, help_text="One number per line."
    )
    position = forms.IntegerField(
        required=False,
        min_value=0,
        help_text="Order among its siblings (smallest first). Empty: after the last one.",
    )

    error_fields = _CATEGORY_ERROR_FIELDS

    class Meta:
        model = Category
        fields = [
            "tenant",
            "public_id",
            "parent",
            "name",
            "description",
            "slug",
            "code",
            "ecn",
            "position",
            "published",
            "valid_from",
            "valid_to",
            "mixins",
            "metadata_mixins",
        ]
        labels = {"code": "Code", "valid_to": "Valid until"}
        help_texts = {
            "code": "Optional code of the category in other systems.",
            "valid_from": "Empty: valid from the start. Times: the tenant's time zone.",
            "valid_to": "Empty: valid without end.",
            "parent": "Empty for a top-level category. Moving a category moves its subtree.",
            "published": "Unpublished categories, and everything below them, are hidden from "
            "storefronts.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "position" in self.fields and not self.instance.pk:
            self.fields["position"].initial = None
        parent = self.fields.get("parent")
        if parent is not None and self.instance.pk:
            # Only categories of the same tenant can be the parent.
            parent.queryset = parent.queryset.filter(tenant_id=self.instance.tenant_id)
            if hasattr(parent.widget, "tenant"):
                parent.widget.tenant = self.instance.tenant_id

    def check_relations(self, cleaned: dict[str, Any], tenant: Any) -> None:
        parent = cleaned.get("parent")
        if parent is not None and tenant is not None and parent.tenant_id != tenant.pk:
            self.add_error("parent", "The parent must be a category of the same tenant.")
        if parent is not None and self.instance.pk and parent.path.startswith(self.instance.path):
            self.add_error("parent", "A category cannot move under itself or its descendants.")

    def check_document(self, cleaned: dict[str, Any]) -> None:
        category_values(category_document_from_form(cleaned), content_language=None)
