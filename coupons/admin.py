"""Admin for coupons; every write goes through the coupon services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin

from . import services
from .documents import clean_code, coupon_values, stored_document
from .models import Coupon, Redemption

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


def coupon_document_from_form(coupon: Coupon) -> dict[str, Any]:
    """The API document for the values an admin form put on an unsaved instance."""
    document = stored_document(coupon)
    document.pop("code")
    document["metadata"].pop("version", None)
    return document


class CouponAdminForm(forms.ModelForm):
    """Checks the form with the same rules as the API before anything is saved."""

    class Meta:
        model = Coupon
        fields = ["tenant", "public_id", *COUPON_FORM_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.instance.pk and cleaned.get("public_id") is not None:
            try:
                cleaned["public_id"] = clean_code(cleaned["public_id"])
            except ApplicationError as exc:
                self.add_error("public_id", exc.message)
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None:
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
            raise forms.ValidationError(exc.message) from exc
        return cleaned


class RedemptionInline(admin.TabularInline):
    model = Redemption
    fields = ["public_id", "customer_number", "legal_entity_public_id", "order_code", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Coupon)
class CouponAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    form = CouponAdminForm
    list_display = ["public_id", "name", "coupon_status", "redemptions", "deleted", "tenant"]
    list_filter = ["deleted", "discount_type", "segment_restricted", "tenant"]
    search_fields = ["public_id", "name"]
    fields = ["tenant", "public_id", *COUPON_FORM_FIELDS, "deleted", "version"]
    readonly_fields = ["deleted", "version"]
    inlines = [RedemptionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Coupon]:
        # Status and redemption count for the whole page in the list query itself.
        return super().get_queryset(request).with_status(timezone.now())

    def get_readonly_fields(self, request: HttpRequest, obj: Coupon | None = None) -> list[str]:
        return ["tenant", "public_id", "deleted", "version"] if obj else ["deleted", "version"]

    @admin.display(description="status", ordering="status")
    def coupon_status(self, coupon: Coupon) -> str:
        return coupon.status

    @admin.display(description="redemptions", ordering="redemption_count")
    def redemptions(self, coupon: Coupon) -> int:
        return coupon.redemption_count

    def save_model(self, request: HttpRequest, obj: Coupon, form: Any, change: bool) -> None:
        document = coupon_document_from_form(obj)
        try:
            if change:
                saved = services.coupon_update(
                    tenant=obj.tenant_id, code=obj.public_id, document=document
                )
            else:
                saved = services.coupon_create(
                    tenant=obj.tenant_id, document={**document, "code": obj.public_id}
                )
        except ApplicationError as exc:
            # E.g. the code was taken since the form was checked: say why, save nothing.
            self.message_user(request, exc.message, level=messages.ERROR)
            request.coupon_save_failed = True
            return
        obj.pk = saved.pk
        obj.version = saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not getattr(request, "coupon_save_failed", False):
            super().save_related(request, form, formsets, change)

    def response_add(self, request: HttpRequest, obj: Coupon, *args: Any) -> HttpResponse:
        if getattr(request, "coupon_save_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, *args)

    def response_change(self, request: HttpRequest, obj: Coupon) -> HttpResponse:
        if getattr(request, "coupon_save_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # A soft delete removes nothing else: the confirmation lists only the coupons.
        coupons = list(objs)
        return [str(coupon) for coupon in coupons], {"coupons": len(coupons)}, set(), []

    def delete_model(self, request: HttpRequest, obj: Coupon) -> None:
        services.coupon_delete(tenant=obj.tenant_id, code=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        # "Delete selected" soft-deletes through the service, one coupon at a time.
        for tenant, code in queryset.values_list("tenant_id", "public_id"):
            services.coupon_delete(tenant=tenant, code=code)


@admin.register(Redemption)
class RedemptionAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "public_id",
        "coupon",
        "customer_number",
        "legal_entity_public_id",
        "created_at",
    ]
    list_filter = ["tenant"]
    search_fields = ["public_id", "coupon__public_id", "customer_number", "order_code"]
    list_select_related = ["coupon"]
    raw_id_fields = ["coupon"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Redemption) -> None:
        services.redemption_delete(
            tenant=obj.tenant_id, code=obj.coupon.public_id, redemption_id=obj.public_id
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> None:
        for tenant, code, redemption_id in queryset.values_list(
            "tenant_id", "coupon__public_id", "public_id"
        ):
            services.redemption_delete(tenant=tenant, code=code, redemption_id=redemption_id)
