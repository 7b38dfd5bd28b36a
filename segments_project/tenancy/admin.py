"""Admin for tenants, their API clients and the staff users' tenant grants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from segments_project.errors import ApplicationError

from . import scopes, services
from .admin_scoping import SuperuserOnlyAdminMixin, TenantScopedAdminMixin
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


# django-oauth-toolkit's own admins (applications, tokens, grants, ID tokens) would show
# every tenant's clients and tokens and set secrets past the services: API clients are
# managed in ApiClientAdmin below, and nothing else needs those pages.
for oauth_model in (
    get_application_model(),
    get_access_token_model(),
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
):
    if admin.site.is_registered(oauth_model):
        admin.site.unregister(oauth_model)


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "time_zone", "staff_count", "api_client_count", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [TenantMembershipInline]
    tenant_lookup = "name"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                staff=Count("memberships", distinct=True),
                clients=Count("api_clients", distinct=True),
            )
            # An aggregate drops Meta.ordering; the autocomplete pages need an order.
            .order_by("name")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A staff user would not even see the tenant they added: superusers create tenants.
        return request.user.is_superuser

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
    """An API client: its id and secret (write-only) and its scopes as checkboxes, each with
    what it allows. The values are checked by the service's own rules."""

    client_id = forms.CharField(
        label="Client id",
        max_length=100,
        help_text="What the client sends as client_id; fixed once saved.",
    )
    client_secret = forms.CharField(
        label="Secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=f"At least {services.MIN_SECRET_LENGTH} characters; stored hashed, never shown. "
        "Leave empty for a storefront client.",
    )
    generate_secret = forms.BooleanField(
        label="Generate a secret",
        required=False,
        help_text="Recommended: the service generates a secret of 256 random bits, shows it "
        "once after saving, and checks it fast. A secret you type is stored with PBKDF2, "
        "which costs every token request about a quarter of a second.",
    )
    allowed_scopes = forms.MultipleChoiceField(
        label="Allowed scopes",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The scopes this client may be granted in its tokens.",
    )

    class Meta:
        model = ApiClient
        fields = ["tenant", "storefront", "allowed_scopes"]
        labels = {"storefront": "Storefront (public) client"}
        help_texts = {
            "storefront": "Its id is published in storefront code: it yields only anonymous "
            "visitor tokens (GET /customerlogin/auth/anonymous/login), never client tokens, "
            "and has no secret and no scopes. Marking a client revokes all its tokens; "
            "unmarking it ends its visitors' sessions and needs a new secret."
        }

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
        if self.instance.pk:
            self.fields.pop("client_id", None)
            secret = self.fields["client_secret"]
            secret.label = "New secret"
            secret.required = False
            secret.help_text = (
                "Leave empty to keep the current secret. A new secret revokes every token of "
                "the client at once. Required when unmarking a storefront client."
            )
            self.fields["allowed_scopes"].help_text = (
                "The scopes this client may be granted in its tokens. Removing one revokes "
                "the tokens that carry it."
            )

    def clean_allowed_scopes(self) -> str:
        return " ".join(sorted(self.cleaned_data["allowed_scopes"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        storefront = bool(cleaned.get("storefront"))
        granted = scopes.parse_scopes(cleaned.get("allowed_scopes") or "")
        secret = cleaned.get("client_secret") or None
        generate = bool(cleaned.get("generate_secret"))
        if generate and (secret is not None or storefront):
            self.add_error(
                "generate_secret",
                "Either type a secret or have one generated; a storefront client has none.",
            )
        # A new client needs a secret unless it is a storefront client; so does a storefront
        # client that is unmarked (the service says so as well).
        needs_secret = not storefront and (not self.instance.pk or self.instance.storefront)
        if needs_secret and secret is None and not generate:
            self.add_error(
                "client_secret", "A client that is not a storefront client needs a secret."
            )
        try:
            services.api_client_check(
                client_id=cleaned.get("client_id"),
                client_secret=secret,
                scopes=granted
                if storefront
                else granted - scopes.parse_scopes(self.instance.allowed_scopes),
                storefront=storefront,
            )
        except ApplicationError as exc:
            field = {"scopes": "allowed_scopes"}.get(exc.details[0].field, exc.details[0].field)
            self.add_error(field if field in self.fields else None, exc.message)
        client_id = cleaned.get("client_id")
        if client_id and get_application_model().objects.filter(client_id=client_id).exists():
            self.add_error("client_id", f"The client id {client_id} is taken.")
        return cleaned


@admin.register(ApiClient)
class ApiClientAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    """API clients, written only through the tenancy services (which revoke the tokens a
    new secret or narrowed scopes invalidate)."""

    form = ApiClientForm
    list_display = ["client_id", "tenant_name", "storefront", "allowed_scopes", "modified_at"]
    list_filter = ["storefront"]
    list_select_related = ["application"]
    search_fields = ["application__client_id", "tenant__name"]

    def get_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> list[str]:
        if obj is None:
            return [
                "tenant",
                "client_id",
                "storefront",
                "generate_secret",
                "client_secret",
                "allowed_scopes",
            ]
        # The secret is write-only: a user who may not change it has nothing to see there.
        secret = (
            ["generate_secret", "client_secret"] if self.has_change_permission(request, obj) else []
        )
        return ["tenant", "client_id", "storefront", *secret, "allowed_scopes", "modified_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> list[str]:
        return ["tenant", "client_id", "modified_at"] if obj else []

    @admin.display(description="client id", ordering="application__client_id")
    def client_id(self, client: ApiClient) -> str:
        return client.application.client_id

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ApplicationError as exc:
            # A write the form could not foresee (the id taken meanwhile): the view's
            # transaction is rolled back; say why on the form.
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("client_secret") or None
        if form.cleaned_data.get("generate_secret"):
            secret = services.client_secret_generate()
        granted = scopes.parse_scopes(form.cleaned_data["allowed_scopes"])
        storefront = bool(form.cleaned_data.get("storefront"))
        if change:
            saved = services.api_client_update(
                tenant=obj.tenant_id,
                client_id=obj.application.client_id,
                client_secret=secret,
                scopes=granted,
                storefront=storefront,
            )
        else:
            saved = services.api_client_create(
                tenant=obj.tenant_id,
                client_id=form.cleaned_data["client_id"],
                client_secret=secret or "",
                scopes=granted,
                storefront=storefront,
            )
        obj.pk, obj.application, obj.modified_at = saved.pk, saved.application, saved.modified_at
        if isinstance(secret, services.GeneratedSecret):
            self.message_user(
                request,
                f"The client's new secret, shown only now (copy it): {secret}",
                level=messages.WARNING,
            )

    def delete_model(self, request: HttpRequest, obj: ApiClient) -> None:
        services.api_client_delete(tenant=obj.tenant_id, client_id=obj.application.client_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for tenant, client_id in queryset.values_list("tenant_id", "application__client_id"):
            services.api_client_delete(tenant=tenant, client_id=client_id)


class TenantGrantInline(admin.TabularInline):
    """The tenants a staff user may administer (on the user's page)."""

    model = TenantMembership
    fields = ["tenant", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    verbose_name = "tenant access"
    verbose_name_plural = "tenant access (staff users see and edit only these tenants)"


User = get_user_model()
for auth_model in (User, Group):
    if admin.site.is_registered(auth_model):
        admin.site.unregister(auth_model)


# django-tasks-db's job list: jobs belong to no tenant, and their arguments, results and
# tracebacks may name any tenant's data, so superusers only, read-only as the package has it.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class SuperuserJobAdmin(SuperuserOnlyAdminMixin, DBTaskResultAdmin):
    """The background jobs (`manage.py db_worker` runs them), for superusers to look at."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Group)
class SuperuserGroupAdmin(SuperuserOnlyAdminMixin, GroupAdmin):
    """Django's group admin, for superusers only (a group can hold every permission)."""


@admin.register(User)
class UserWithTenantsAdmin(SuperuserOnlyAdminMixin, UserAdmin):
    """Django's user admin with the user's tenant grants, for superusers only (a staff user
    who could edit users could make themselves superuser)."""

    list_display = [*UserAdmin.list_display, "tenant_list"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("tenant_memberships")

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return []
        return [TenantGrantInline(self.model, self.admin_site)]

    @admin.display(description="tenants")
    def tenant_list(self, user: Any) -> str:
        if user.is_superuser:
            return "all (superuser)"
        return ", ".join(grant.tenant_id for grant in user.tenant_memberships.all()) or "none"
