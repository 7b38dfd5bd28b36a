"""Admin of the tenants' referral settings: one row per tenant, scoped to the staff user's
tenants, checked with the same rules as the service (`check_referral_settings`) with the
message on the field, and written through `services.referral_settings_save`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from segments_project.admin import ServiceWriteAdmin, api_error_on_form
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin, require_tenant

from .. import services
from ..documents.referrals import SETTINGS_ERROR_FIELDS, check_referral_settings
from ..models import ReferralSettings
from ..services.referrals import SETTINGS_FIELDS


class ReferralSettingsForm(forms.ModelForm):
    class Meta:
        model = ReferralSettings
        fields = ["tenant", *SETTINGS_FIELDS]
        labels = {
            "discount_amount": "Amount off",
            "discount_currency": "Currency",
            "max_redemptions": "Redemptions at most",
            "max_redemptions_per_customer": "Redemptions per customer at most",
            "allow_anonymous": "Anonymous users may redeem",
            "validity_days": "Valid for (days)",
        }
        widgets = {"discount_currency": forms.TextInput(attrs={"size": 4, "maxlength": 3})}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None or self.errors:
            return cleaned
        candidate = ReferralSettings(
            tenant_id=tenant.pk,
            **{
                field: cleaned.get(field, getattr(self.instance, field))
                for field in SETTINGS_FIELDS
            },
        )
        try:
            check_referral_settings(candidate, at=timezone.now())
        except ApplicationError as exc:
            api_error_on_form(self, exc, SETTINGS_ERROR_FIELDS)
        return cleaned


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    form = ReferralSettingsForm
    list_display = ["tenant_name", "discount", "code_prefix", "name_template", "limits"]
    list_display_links = ["tenant_name", "discount"]
    search_fields = ["tenant__name", "code_prefix", "name_template"]
    ordering = ["tenant_id"]
    fieldsets = [
        (None, {"fields": ["tenant"]}),
        ("Discount", {"fields": [("discount_amount", "discount_currency")]}),
        ("Code and name", {"fields": ["code_prefix", "name_template", "description"]}),
        (
            "Who may redeem, how often, how long",
            {
                "fields": [
                    "allow_anonymous",
                    ("max_redemptions", "max_redemptions_per_customer"),
                    "validity_days",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["tenant"] if obj is not None else []

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # One row per tenant: the tenant column names the row, even for a one-tenant user.
        columns = list(super().get_list_display(request))
        return columns if "tenant_name" in columns else ["tenant_name", *columns]

    @admin.display(description="discount")
    def discount(self, settings: ReferralSettings) -> str:
        return f"{settings.discount_amount} {settings.discount_currency}"

    @admin.display(description="limits")
    def limits(self, settings: ReferralSettings) -> str:
        def shown(limit: int) -> str:
            return "unlimited" if limit < 0 else str(limit)

        days = f", {settings.validity_days} days" if settings.validity_days else ""
        return (
            f"{shown(settings.max_redemptions)} in all, "
            f"{shown(settings.max_redemptions_per_customer)} per customer{days}"
        )

    def save_model(
        self, request: HttpRequest, obj: ReferralSettings, form: Any, change: bool
    ) -> None:
        require_tenant(request, obj.tenant_id)
        values = {field: getattr(obj, field) for field in SETTINGS_FIELDS}
        try:
            services.referral_settings_save(tenant=obj.tenant_id, values=values)
        except ApplicationError as exc:
            self.write_failed(request, exc)

    def delete_model(self, request: HttpRequest, obj: ReferralSettings) -> None:
        require_tenant(request, obj.tenant_id)
        services.referral_settings_delete(tenant=obj.tenant_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReferralSettings]) -> None:
        for tenant in queryset.values_list("tenant_id", flat=True):
            require_tenant(request, tenant)
            services.referral_settings_delete(tenant=tenant)
