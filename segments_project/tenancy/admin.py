"""Admin for tenants, their API clients and the staff users' tenant grants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from . import scopes
from .admin_scoping import TenantScopedAdminMixin, scoped
from .models import ApiClient, Tenant, TenantMembership


class TenantMembershipInline(admin.TabularInline):
    """The staff users a tenant is granted to (on the tenant's page)."""

    model = TenantMembership
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = "staff user with access"
    verbose_name_plural = "staff users with access"


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "staff_count", "api_client_count", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["content_version", "created_at"]
    inlines = [TenantMembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        tenants = scoped(super().get_queryset(request), request, "name")
        return tenants.annotate(
            staff=Count("memberships", distinct=True),
            clients=Count("api_clients", distinct=True),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> list[str]:
        # The name is every API path's `{tenant}`: fixed once created.
        return [*self.readonly_fields, "name"] if obj else list(self.readonly_fields)

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # Only superusers hand out access; others do not even see who has it.
        return super().get_inline_instances(request, obj) if request.user.is_superuser else []

    @admin.display(description="staff users", ordering="staff")
    def staff_count(self, tenant: Tenant) -> int:
        return tenant.staff

    @admin.display(description="API clients", ordering="clients")
    def api_client_count(self, tenant: Tenant) -> int:
        return tenant.clients


class ApiClientForm(forms.ModelForm):
    """The client's scopes as checkboxes, each with what it allows; stored space-separated."""

    allowed_scopes = forms.MultipleChoiceField(
        label="Allowed scopes",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The scopes this client may be granted in its tokens.",
    )

    class Meta:
        model = ApiClient
        fields = ["tenant", "application", "allowed_scopes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = scopes.parse_scopes(self.instance.allowed_scopes) if self.instance.pk else set()
        # A scope no longer known stays listed, so that saving does not drop it unseen.
        known = {**scopes.DESCRIPTIONS, **dict.fromkeys(current - scopes.ALL_SCOPES, "")}
        self.fields["allowed_scopes"].choices = [
            (scope, f"{scope}: {description}" if description else scope)
            for scope, description in sorted(known.items())
        ]
        self.initial["allowed_scopes"] = sorted(current)

    def clean_allowed_scopes(self) -> str:
        return " ".join(sorted(self.cleaned_data["allowed_scopes"]))


@admin.register(ApiClient)
class ApiClientAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["application", "tenant_name", "allowed_scopes", "modified_at"]
    list_select_related = ["application"]
    search_fields = ["application__client_id", "tenant__name"]
    raw_id_fields = ["application"]


class TenantGrantInline(admin.TabularInline):
    """The tenants a staff user may administer (on the user's page)."""

    model = TenantMembership
    fields = ["tenant", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    verbose_name = "tenant access"
    verbose_name_plural = "tenant access (staff users see and edit only these tenants)"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserWithTenantsAdmin(UserAdmin):
    """Django's user admin with the user's tenant grants; only superusers edit grants."""

    list_display = [*UserAdmin.list_display, "tenant_list"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("tenant_memberships")

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None or not request.user.is_superuser:
            return []
        return [TenantGrantInline(self.model, self.admin_site)]

    @admin.display(description="tenants")
    def tenant_list(self, user: Any) -> str:
        if user.is_superuser:
            return "all (superuser)"
        return ", ".join(grant.tenant_id for grant in user.tenant_memberships.all()) or "none"
