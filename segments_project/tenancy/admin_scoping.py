"""The admin console's tenant boundary.

A staff user sees and edits only the tenants granted to them (`TenantMembership`);
superusers see every tenant. Every ModelAdmin of a tenant-owned model mixes in
`TenantScopedAdminMixin`, which applies the boundary everywhere the admin reads rows:

- the change list, the change and delete views and the actions (`get_queryset`);
- foreign key choices: the `tenant` field offers the granted tenants only, other tenant-owned
  foreign keys only rows of granted tenants;
- autocomplete results: the `<model>/autocomplete/` view every scoped admin adds goes
  through the target admin's `get_queryset`, and can be narrowed to one tenant (`?tenant=`,
  set by `TenantAutocompleteSelect`), so that a form of one segment offers only that
  tenant's customers and products;
- the tenant list filter lists the granted tenants only.

Admins of rows that belong to no tenant (users, groups) mix in `SuperuserOnlyAdminMixin`
instead. Every registered admin is one or the other (`admin_boundary`; a test walks the
registry), and django-oauth-toolkit's own admins are not registered at all: API clients
are managed in the API client admin, through the tenancy services.

The form plumbing every app's admin shares (service writes, document forms, localized
text fields) is in `segments_project.admin`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import path, reverse

from segments_project.db.search import matching

from .admin_ranking import (
    NAME_SORT,
    BestMatchFirst,
    TextSource,
    best_match_first,
    by_name,
    name_key,
)
from .models import Tenant

_CACHE_ATTRIBUTE = "_granted_tenant_names"
_FORM_TENANT_ATTRIBUTE = "_form_tenant"


def granted_tenant_names(request: HttpRequest) -> frozenset[str] | None:
    """The names of the tenants the user may administer; None for a superuser (all of them).

    Read once per request.
    """
    user = request.user
    if user.is_superuser:
        return None
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = frozenset(
            user.tenant_memberships.values_list("tenant_id", flat=True)
            if user.is_authenticated and user.is_active and user.is_staff
            else ()
        )
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached


def granted_tenants(request: HttpRequest) -> QuerySet[Tenant]:
    """The Tenant rows the user may administer."""
    names = granted_tenant_names(request)
    tenants = Tenant.objects.all()
    return tenants if names is None else tenants.filter(name__in=names)


def may_administer(request: HttpRequest, tenant: str) -> bool:
    names = granted_tenant_names(request)
    return names is None or tenant in names


def require_tenant(request: HttpRequest, tenant: str) -> None:
    """PermissionDenied unless the user may administer the tenant (writes check it again,
    whatever the form offered)."""
    if not may_administer(request, tenant):
        raise PermissionDenied(f"You have no access to the tenant {tenant}.")


def scoped(queryset: QuerySet, request: HttpRequest, tenant_lookup: str = "tenant") -> QuerySet:
    """The rows of the queryset that belong to a tenant the user may administer."""
    names = granted_tenant_names(request)
    if names is None:
        return queryset
    return queryset.filter(**{f"{tenant_lookup}__in": names})


def form_tenant(form: forms.ModelForm) -> str | None:
    """The tenant whose rows a form's choice fields may offer: the edited row's, or on an
    add form the posted tenant when the tenant field accepts it (in the admin it offers
    only the user's tenants); None when there is none yet.

    Fields that choose rows by id narrow their queryset to this tenant (none at all for
    None), so a row of another tenant is "not one of the available choices" like any
    value that names no row, and is never shown back.
    """
    if form.instance.pk:
        return form.instance.tenant_id
    if hasattr(form, _FORM_TENANT_ATTRIBUTE):
        return getattr(form, _FORM_TENANT_ATTRIBUTE)
    field = form.fields.get("tenant")
    tenant = _chosen_tenant(form, field) if field is not None else None
    setattr(form, _FORM_TENANT_ATTRIBUTE, tenant)
    return tenant


def _chosen_tenant(form: forms.BaseForm, field: forms.Field) -> str | None:
    try:
        # The posted tenant, or on a form not posted yet its initial one (a user of one
        # tenant has it chosen already).
        tenant = field.clean(form["tenant"].value())
    except forms.ValidationError:
        return None
    if isinstance(tenant, Tenant):
        return tenant.pk
    return tenant or None


def narrow_choices_to_form_tenant(form: forms.BaseForm) -> None:
    """Narrows the form's choices of tenant-owned rows, and their pickers, to the form's
    tenant (`form_tenant`; none at all without one)."""
    tenant = form_tenant(form)  # type: ignore[arg-type]
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if name == "tenant" or queryset is None or not is_tenant_owned(queryset.model):
            continue
        field.queryset = queryset.filter(tenant_id=tenant) if tenant else queryset.none()
        widget = getattr(field.widget, "widget", field.widget)  # inside the related wrapper
        if isinstance(widget, _TenantAutocompleteMixin):
            widget.tenant = tenant


def is_tenant_owned(model: type[Model]) -> bool:
    try:
        field = model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return False
    return getattr(field.remote_field, "model", None) is Tenant


class GrantedTenantFilter(admin.SimpleListFilter):
    """Filter by tenant, offering only the tenants the user may administer (shown only when
    there is more than one)."""

    title = "tenant"
    parameter_name = "tenant"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in granted_tenants(request).values_list("name", flat=True)]

    def has_output(self) -> bool:
        return len(self.lookup_choices) > 1

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        lookup = getattr(self._model_admin, "tenant_lookup", "tenant")
        return queryset.filter(**{lookup: value})

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self._model_admin = model_admin
        super().__init__(request, params, model, model_admin)


# --- autocomplete ---------------------------------------------------------------------------


class _LookaheadPage(Page):
    def __init__(self, rows: list[Any], number: int, paginator: Paginator, more: bool) -> None:
        super().__init__(rows, number, paginator)
        self._more = more

    def has_next(self) -> bool:
        return self._more


def uncounted_page_number(number: Any) -> int:
    """A page number checked without knowing the number of pages: an integer, 1 or more."""
    try:
        number = int(number)
    except (TypeError, ValueError) as exc:
        raise PageNotAnInteger("That page number is not an integer") from exc
    if number < 1:
        raise EmptyPage("That page number is less than 1")
    return number


def lookahead_rows(rows: Any, number: int, per_page: int) -> tuple[list[Any], bool]:
    """Page `number` of `rows` and whether another page follows, in one read of a row more
    than the page (no count)."""
    bottom = (number - 1) * per_page
    read = list(rows[bottom : bottom + per_page + 1])
    return read[:per_page], len(read) > per_page


class LookaheadPaginator(Paginator):
    """Pages a picker's results without counting them: a page reads one row more to know
    whether another follows. (Counting a common term's matches, a tenth of a million
    customers, costs as much as ranking them.)"""

    def validate_number(self, number: Any) -> int:
        return uncounted_page_number(number)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        rows, more = lookahead_rows(self.object_list, number, self.per_page)
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return _LookaheadPage(rows, number, self, more)


class TenantAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete view, narrowed to `?tenant=` when given (to nothing when it is
    given empty: a form whose tenant is not chosen yet), ranked best match first
    (`admin_ranking`) and labelled by the target admin's `autocomplete_labels` (ids with
    names, not `tenant/id`), a page at a time without counting the matches
    (`LookaheadPaginator`)."""

    def get_paginator(self, *args: Any, **kwargs: Any) -> Paginator:
        return LookaheadPaginator(*args, **kwargs)

    def get_queryset(self) -> QuerySet | BestMatchFirst:  # type: ignore[override]
        # Django's, with the rows before the search kept for the ranking.
        scoped = self.model_admin.get_queryset(self.request).complex_filter(
            self.source_field.get_limit_choices_to()
        )
        if "tenant" in self.request.GET:
            tenant = self.request.GET["tenant"]
            if not tenant:
                return scoped.none()
            lookup = getattr(self.model_admin, "tenant_lookup", "tenant")
            scoped = scoped.filter(**{lookup: tenant})
        matched, distinct = self.model_admin.get_search_results(self.request, scoped, self.term)
        if distinct:
            matched = matched.distinct()
        ranking = getattr(self.model_admin, "autocomplete_ranking", lambda: None)()
        if ranking is None:
            return matched
        match, name = ranking
        words = getattr(self.model_admin, "autocomplete_words", ())
        return best_match_first(
            matched, self.term, match=match, name=name, scoped=scoped, words=words
        )

    def get_context_data(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(*args, **kwargs)
        context["object_list"] = rows = list(context["object_list"])
        labels = getattr(self.model_admin, "autocomplete_labels", None)
        self._labels = labels(rows) if labels else {}
        return context

    def serialize_result(self, obj: Model, to_field_name: str) -> dict[str, str]:
        return {"id": str(getattr(obj, to_field_name)), "text": self._labels.get(obj.pk, str(obj))}


def autocomplete_label_of(admin_site: Any, model: type[Model]) -> Any:
    """The `autocomplete_label(obj)` of the model's admin, or None."""
    return getattr(admin_site._registry.get(model), "autocomplete_label", None)


class _TenantAutocompleteMixin:
    """Points select2 at the target admin's scoped autocomplete view, for the `tenant` (for
    none while it is None). On an add form whose tenant is still to be chosen, the picker
    follows the form's tenant field (`tenancy/tenant_pickers.js`)."""

    @property
    def media(self) -> forms.Media:
        # Named after the scripts it needs, so that Media's merge keeps it after them.
        follows = forms.Media(
            js=["admin/js/jquery.init.js", "admin/js/autocomplete.js", "tenancy/tenant_pickers.js"]
        )
        return super().media + follows  # type: ignore[misc]

    def __init__(
        self, field: Any, admin_site: Any, *args: Any, tenant: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(field, admin_site, *args, **kwargs)
        self.tenant = tenant

    def get_url(self) -> str:
        target = self.field.remote_field.model._meta
        url = reverse(
            f"{self.admin_site.name}:{target.app_label}_{target.model_name}_scoped_autocomplete"
        )
        # Always named: an empty tenant (not chosen yet) offers nothing, never every
        # tenant's rows (`TenantAutocompleteJsonView`).
        return f"{url}?{urlencode({'tenant': self.tenant or ''})}"


class TenantAutocompleteSelect(_TenantAutocompleteMixin, AutocompleteSelect):
    pass


class TenantAutocompleteSelectMultiple(_TenantAutocompleteMixin, AutocompleteSelectMultiple):
    pass


# --- the mixin ------------------------------------------------------------------------------


class NameSortedChangeList(ChangeList):
    """The change list of an admin that sorts by name unless the user sorts by a column: the
    name column (the one ordered by `name_sort` or the name field) shows the sort arrow then.
    Django would place it by the ModelAdmin's `ordering`, which the name sort replaces."""

    def get_ordering_field_columns(self) -> dict[int, str]:
        if ORDER_VAR in self.params:
            return super().get_ordering_field_columns()
        ranking = self.model_admin.autocomplete_ranking()
        name = ranking[1] if ranking is not None else None
        # The name column: sorted by the annotation, or the plain name field itself.
        by_name = {NAME_SORT, name} if isinstance(name, str) else {NAME_SORT}
        for index, column in enumerate(self.list_display):
            if self.get_ordering_field(column) in by_name:
                return {index: "asc"}
        return {}


class TenantScopedAdminMixin:
    """Scopes a ModelAdmin of a tenant-owned model to the user's tenants (module docstring).

    `tenant_lookup` is the path from the model to its tenant (`tenant` for the usual
    foreign key). Subclasses may define `autocomplete_label(obj)` for their autocomplete
    results (or `autocomplete_labels(rows)` for a page of them at once), and rank the
    results by `autocomplete_match` (ids, codes, emails: by default the plain
    `search_fields`), `autocomplete_name` (by default the `name` field) and
    `autocomplete_words` (the name's parts after its start, each with an index of it then
    the name: a customer's last name; by default none).
    """

    tenant_lookup = "tenant"
    # The columns a search (the list's and the pickers') matches each word in, as one text
    # a trigram index serves (`segments_project.db.search`); None: Django's search of the
    # `search_fields`, column by column.
    search_text_fields: tuple[str, ...] | None = None
    autocomplete_match: tuple[TextSource, ...] | None = None
    autocomplete_name: TextSource | None = None
    autocomplete_words: tuple[TextSource, ...] = ()
    # Rows with names: the list sorts by name (`name_sort`, the default language's name
    # of a localized one, case-insensitively) unless the user sorts by a column.
    sort_by_name = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        if self.sort_by_name:
            return NameSortedChangeList
        return super().get_changelist(request, **kwargs)  # type: ignore[misc]

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        ranking = self.autocomplete_ranking() if self.sort_by_name else None
        if ranking is not None:
            # The expression, not the annotation: ModelAdmin orders before it annotates.
            return [by_name(self.model, ranking[1]), "pk"]  # type: ignore[attr-defined]
        return super().get_ordering(request)  # type: ignore[misc]

    def autocomplete_ranking(self) -> tuple[tuple[TextSource, ...], TextSource] | None:
        """What the picker compares with the term, and the name it sorts by; None for rows
        with neither a name nor an id (they keep the admin's order)."""
        fields = {field.name for field in self.model._meta.get_fields()}  # type: ignore[attr-defined]
        name = self.autocomplete_name or next(
            (field for field in ("name", "public_id") if field in fields), None
        )
        if name is None:
            return None
        match = self.autocomplete_match
        if match is None:
            plain = (entry.lstrip("^=@") for entry in getattr(self, "search_fields", ()))
            match = tuple(entry for entry in plain if entry in fields and entry != name)
        return match, name

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not self.search_text_fields:
            return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        return matching(queryset, search_term, *self.search_text_fields), False

    def autocomplete_labels(self, rows: list[Any]) -> dict[Any, str]:
        """The picker's text of each row of a page, by primary key."""
        label = getattr(self, "autocomplete_label", None) or str
        return {row.pk: label(row) for row in rows}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = scoped(super().get_queryset(request), request, self.tenant_lookup)  # type: ignore[misc]
        ranking = self.autocomplete_ranking() if self.sort_by_name else None
        if ranking is not None:
            queryset = queryset.annotate(**{NAME_SORT: name_key(self.model, ranking[1])})  # type: ignore[attr-defined]
        return queryset

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = [
            entry
            for entry in super().get_list_filter(request)  # type: ignore[misc]
            if entry not in ("tenant", self.tenant_lookup)
        ]
        return filters if GrantedTenantFilter in filters else [*filters, GrantedTenantFilter]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns = list(super().get_list_display(request))  # type: ignore[misc]
        names = granted_tenant_names(request)
        if names is not None and len(names) <= 1:
            # One tenant: a column repeating its name says nothing.
            columns = [column for column in columns if column not in ("tenant", "tenant_name")]
        return columns

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        remote = db_field.remote_field.model
        if remote is Tenant:
            kwargs.setdefault("queryset", granted_tenants(request))
            names = granted_tenant_names(request)
            if names is not None and len(names) == 1:
                # The only tenant the user has: chosen already.
                kwargs.setdefault("initial", next(iter(names)))
                kwargs.setdefault("empty_label", None)
        elif is_tenant_owned(remote):
            kwargs.setdefault("queryset", scoped(remote._default_manager.all(), request))
            if db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
                kwargs.setdefault(
                    "widget",
                    TenantAutocompleteSelect(
                        db_field,
                        self.admin_site,
                        using=kwargs.get("using"),  # type: ignore[attr-defined]
                    ),
                )
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        label = autocomplete_label_of(self.admin_site, remote)  # type: ignore[attr-defined]
        if formfield is not None and label is not None:
            formfield.label_from_instance = label
        return formfield

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.BaseForm]:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        if not is_tenant_owned(self.model):  # type: ignore[attr-defined]
            return form

        class TenantChoicesForm(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                narrow_choices_to_form_tenant(self)

        TenantChoicesForm.__name__ = form.__name__
        TenantChoicesForm._meta = form._meta  # as adjusted by the base admin, not rebuilt
        return TenantChoicesForm

    def get_urls(self) -> list[Any]:
        opts = self.model._meta  # type: ignore[attr-defined]
        site = self.admin_site  # type: ignore[attr-defined]
        view = site.admin_view(TenantAutocompleteJsonView.as_view(admin_site=site))
        return [
            path(
                "autocomplete/",
                view,
                name=f"{opts.app_label}_{opts.model_name}_scoped_autocomplete",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    @admin.display(description="tenant", ordering="tenant")
    def tenant_name(self, obj: Any) -> str:
        """The tenant column without a query per row (the name is the key)."""
        return obj.tenant_id


# --- superuser-only admins ------------------------------------------------------------------


class SuperuserOnlyAdminMixin:
    """An admin of rows that belong to no tenant (users, groups): superusers only, whatever
    model permissions a staff user holds. A staff user could otherwise reach every tenant
    through them (grant themselves superuser, or a group of every permission)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


def admin_boundary(model_admin: Any) -> str | None:
    """How an admin keeps to the tenant boundary: "tenant" (scoped to the user's tenants),
    "superuser" (superusers only), or None (not at all: a bug)."""
    if isinstance(model_admin, TenantScopedAdminMixin):
        return "tenant"
    if isinstance(model_admin, SuperuserOnlyAdminMixin):
        return "superuser"
    return None
