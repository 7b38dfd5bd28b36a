"""The coupon form of the admin, checked with the API's own document function
(`coupon_values`) before the service writes it, its errors shown on the field the API names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model

from catalog.models import CategoryAssignment
from segments.models import SegmentItemAssignment
from segments_project.admin import LinesField, PrettyJSONField, api_error_on_form
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import (
    TenantAutocompleteSelectMultiple,
    autocomplete_label_of,
    form_tenant,
)

from ..documents.coupon_writes import coupon_values
from ..documents.coupons import clean_code, stored_document
from ..models import Coupon

COUPON_FORM_FIELDS = [
    "name",
    "description",
    "discount_type",
    "discount_percentage",
    "discount_amount",
    "discount_currency",
    "allow_anonymous",
    "max_redemptions",
    "max_redemptions_per_customer",
    "discount_calculation_type",
    "category_restricted",
    "included_categories",
    "excluded_categories",
    "segment_restricted",
    "segment_ids",
    "valid_for",
    "valid_from",
    "valid_until",
    "min_order_amount",
    "min_order_currency",
    "issued_to",
    "mixins",
    "metadata_mixins",
]

# Document member of an API error -> the form field that shows it (longest prefix wins).
_COUPON_ERROR_FIELDS = {
    "code": "public_id",
    "name": "name",
    "description": "description",
    "discountType": "discount_type",
    "discountPercentage": "discount_percentage",
    "discountAbsolute": "discount_amount",
    "discountAbsolute.currency": "discount_currency",
    "maxRedemptions": "max_redemptions",
    "maxRedemptionsPerCustomer": "max_redemptions_per_customer",
    "discountCalculationType": "discount_calculation_type",
    "restrictions": "valid_until",
    "restrictions.validFrom": "valid_from",
    "restrictions.validUntil": "valid_until",
    "restrictions.validFor": "valid_for",
    "restrictions.includedCategories": "included_categories",
    "restrictions.excludedCategories": "excluded_categories",
    "restrictions.segments": "segment_ids",
    "restrictions.minOrderValue": "min_order_amount",
    "restrictions.minOrderValue.currency": "min_order_currency",
    "issuedTo": "issued_to",
    "mixins": "mixins",
    "metadata": "metadata_mixins",
}


def coupon_document_from_form(coupon: Coupon) -> dict[str, Any]:
    """The API document for the values an admin form put on an unsaved instance."""
    document = stored_document(coupon)
    document.pop("code")
    document["metadata"].pop("version", None)
    return document


class PublicIdChoiceField(forms.ModelMultipleChoiceField):
    """Rows of a tenant picked with a select2 autocomplete, cleaned to their public ids (how
    a coupon stores its restricting segments and categories)."""

    def __init__(self, *, source: Any, **kwargs: Any) -> None:
        model = source.remote_field.model
        super().__init__(queryset=model._default_manager.all(), required=False, **kwargs)
        self.source = source
        self.label_from_instance = autocomplete_label_of(admin.site, model) or str

    def scope(self, tenant: str | None, public_ids: list[str]) -> list[int]:
        """Narrows the choices to the tenant (to none without one); the pks of the rows the
        ids name."""
        self.queryset = (
            self.queryset.filter(tenant_id=tenant) if tenant is not None else self.queryset.none()
        )
        self.widget = TenantAutocompleteSelectMultiple(self.source, admin.site, tenant=tenant)
        self.widget.choices = self.choices
        if tenant is None or not public_ids:
            return []
        return list(self.queryset.filter(public_id__in=public_ids).values_list("pk", flat=True))

    def bound_data(self, data: Any, initial: Any) -> Any:
        # The autocomplete looks the posted values up by pk to show them again: only pks.
        return [value for value in data or [] if str(value).isdigit()]

    def clean(self, value: Any) -> list[Model]:  # type: ignore[override]
        return list(super().clean(value))


class CouponAdminForm(forms.ModelForm):
    """Checks the form with the same rules as the API before anything is saved."""

    public_id = forms.CharField(
        label="Code",
        max_length=128,
        help_text="What customers type; stored in upper case. Fixed once saved.",
    )
    segment_ids = PublicIdChoiceField(
        source=SegmentItemAssignment._meta.get_field("segment"),
        label="Segments",
        help_text="Only members of one of these segments may redeem the coupon.",
    )
    included_categories = PublicIdChoiceField(
        source=CategoryAssignment._meta.get_field("category"),
        label="Included categories",
        help_text="The discount applies to products in these categories (and below them).",
    )
    excluded_categories = PublicIdChoiceField(
        source=CategoryAssignment._meta.get_field("category"),
        label="Excluded categories",
        help_text="The discount never applies to products in these categories.",
    )
    valid_for = LinesField(
        label="Only for the customers",
        required=False,
        help_text="One customer id per line. Empty: any customer.",
    )
    mixins = PrettyJSONField(label="Custom data (mixins)")
    metadata_mixins = PrettyJSONField(label="Mixin schemas")

    class Meta:
        model = Coupon
        fields = ["tenant", "public_id", *COUPON_FORM_FIELDS]
        labels = {
            "discount_percentage": "Percent off",
            "discount_amount": "Amount off",
            "discount_currency": "Currency",
            "max_redemptions": "Redemptions at most",
            "max_redemptions_per_customer": "Redemptions per customer at most",
            "discount_calculation_type": "Discount on",
            "min_order_amount": "Minimum order value",
            "min_order_currency": "Currency",
            "issued_to": "Issued to customer",
        }
        widgets = {
            "discount_currency": forms.TextInput(attrs={"size": 4, "maxlength": 3}),
            "min_order_currency": forms.TextInput(attrs={"size": 4, "maxlength": 3}),
        }
        help_texts = {
            "discount_type": "Percent or absolute amount off, or free shipping.",
            "discount_percentage": "For percent coupons: 0 to 100.",
            "discount_amount": "For absolute coupons, with the currency (e.g. EUR).",
            "allow_anonymous": "Customers who are not logged in may redeem it.",
            "max_redemptions": "-1: unlimited.",
            "max_redemptions_per_customer": "-1: unlimited.",
            "category_restricted": "The discount applies only to products of the categories below.",
            "segment_restricted": "Only members of the segments below may redeem it.",
            "valid_from": "Empty: valid now. Times: the tenant's time zone.",
            "valid_until": "Empty: valid without end.",
            "min_order_amount": "Empty: any order value.",
            "issued_to": "Optional: the customer id the coupon was issued to.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenant = form_tenant(self)
        for name in ("segment_ids", "included_categories", "excluded_categories"):
            field = self.fields.get(name)
            if isinstance(field, PublicIdChoiceField):
                self.initial[name] = field.scope(tenant, getattr(self.instance, name) or [])

    def _clean_choices(self, name: str) -> list[str]:
        # The choices are the form's tenant's rows only (`form_tenant`).
        return [row.public_id for row in self.cleaned_data.get(name) or []]

    def clean_segment_ids(self) -> list[str]:
        return self._clean_choices("segment_ids")

    def clean_included_categories(self) -> list[str]:
        return self._clean_choices("included_categories")

    def clean_excluded_categories(self) -> list[str]:
        return self._clean_choices("excluded_categories")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.instance.pk and cleaned.get("public_id") is not None:
            try:
                cleaned["public_id"] = clean_code(cleaned["public_id"])
            except ApplicationError as exc:
                self.add_error("public_id", exc.message)
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None or self.errors:
            return cleaned
        candidate = Coupon(
            **{
                field: cleaned.get(field, getattr(self.instance, field))
                for field in COUPON_FORM_FIELDS
            },
            public_id=cleaned.get("public_id") or self.instance.public_id,
        )
        try:
            coupon_values(coupon_document_from_form(candidate), tenant=tenant.pk)
        except ApplicationError as exc:
            api_error_on_form(self, exc, _COUPON_ERROR_FIELDS)
        return cleaned
