"""Admin for the catalog; every write goes through the catalog services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation

from segments_project.api.documents import clean_id
from segments_project.errors import ApplicationError

from .documents.products import product_values
from .models import Product
from .services import products as product_services

# --- Products ------------------------------------------------------------------------------

PRODUCT_FORM_FIELDS = ["code", "name", "published", "mixins", "metadata_mixins"]


def product_document_from_form(product: Product) -> dict[str, Any]:
    """The API document for the values an admin form put on an unsaved instance."""
    return {
        "code": product.code,
        "name": product.name,
        "published": product.published,
        "mixins": product.mixins,
        "metadata": {"mixins": product.metadata_mixins},
    }


class ProductAdminForm(forms.ModelForm):
    """Checks the form with the same rules as the API before anything is saved."""

    class Meta:
        model = Product
        fields = ["tenant", "public_id", *PRODUCT_FORM_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.instance.pk and cleaned.get("public_id") is not None:
            try:
                clean_id(cleaned["public_id"])
            except ApplicationError as exc:
                self.add_error("public_id", exc.message)
        candidate = Product(
            **{
                field: cleaned.get(field, getattr(self.instance, field))
                for field in PRODUCT_FORM_FIELDS
            }
        )
        try:
            product_values(product_document_from_form(candidate), content_language=None)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return cleaned


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["public_id", "code", "display_name", "published", "tenant"]
    list_filter = ["published", "tenant"]
    search_fields = ["public_id", "code", "name"]
    fields = ["tenant", "public_id", *PRODUCT_FORM_FIELDS, "version"]
    readonly_fields = ["version"]

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        return ["tenant", "public_id", "version"] if obj else ["version"]

    @admin.display(description="name")
    def display_name(self, product: Product) -> str:
        language = (translation.get_language() or "en").split("-")[0]
        return product.name.get(language, next(iter(product.name.values()), ""))

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        saved, _ = product_services.product_upsert(
            tenant=obj.tenant_id,
            product_id=obj.public_id,
            document=product_document_from_form(obj),
        )
        obj.pk = saved.pk
        obj.version = saved.version

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        product_services.product_delete(tenant=obj.tenant_id, product_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        # The "delete selected" action goes through the service too, one product at a time.
        for tenant, product_id in queryset.values_list("tenant_id", "public_id"):
            product_services.product_delete(tenant=tenant, product_id=product_id)
