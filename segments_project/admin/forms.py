"""The forms of API documents in the admin: checked with the API's own document functions,
their errors shown on the field the API names."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from segments_project.api.documents import clean_id
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import form_tenant

from .languages import languages_in_use
from .widgets import LocalizedTextField, PrettyJSONField


def api_error_on_form(form: forms.Form, error: ApplicationError, fields: dict[str, str]) -> None:
    """Shows an API error on the form field its first detail names, by the longest dotted
    prefix `fields` knows, list indexes left out (`addresses[0].country` is `addresses`),
    else on the form."""
    named = error.details[0].field if error.details else ""
    parts = re.sub(r"\[\d+\]", "", named).split(".")
    prefixes = (".".join(parts[:length]) for length in range(len(parts), 0, -1))
    target = next((fields[prefix] for prefix in prefixes if prefix in fields), None)
    form.add_error(target if target in form.fields else None, error.message)


def version_conflict(form: forms.ModelForm) -> str | None:
    """Why the form's base version is stale, or None."""
    base = form.cleaned_data.get("base_version")
    current = form.instance.version
    if form.instance.pk and base is not None and base != current:
        return (
            f"Someone else changed this since you opened it (version {base}, now {current}). "
            "Reload the page to see their changes."
        )
    return None


class DocumentAdminForm(forms.ModelForm):
    """What the forms of API documents (products, categories, customers, legal entities)
    share: the id, custom data, the version the page was based on, and a check of the
    values with the API's own document function before the service writes them.

    A subclass names `error_fields` (API member -> form field) and implements
    `check_document(cleaned)`; `check_relations(cleaned, tenant)` adds its own checks.
    """

    public_id = forms.CharField(
        label="ID", max_length=128, help_text="The id API clients use; fixed once saved."
    )
    mixins = PrettyJSONField(label="Custom data (mixins)")
    metadata_mixins = PrettyJSONField(label="Mixin schemas")
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    error_fields: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "base_version" in self.fields:
            self.fields["base_version"].initial = self.instance.version
        self._offer_tenant_languages()

    def _offer_tenant_languages(self) -> None:
        """Gives every localized input one row per language of the tenant, all at once."""
        stored = {field.name for field in self._meta.model._meta.concrete_fields}
        localized = {
            name: field
            for name, field in self.fields.items()
            if isinstance(field, LocalizedTextField) and not field.disabled and name in stored
        }
        if not localized:
            return
        languages = languages_in_use(
            self._meta.model, tenants=self._language_tenants(), fields=list(localized)
        )
        for field in localized.values():
            field.widget.languages = languages

    def _language_tenants(self) -> list[str]:
        """The edited row's tenant; on an add form the chosen one, else the tenant field's
        choices (the tenants the user may administer)."""
        tenant = form_tenant(self)
        if tenant is not None:
            return [tenant]
        field = self.fields.get("tenant")
        if field is None:
            return []
        initial = self.initial.get("tenant", field.initial)
        if initial:
            return [getattr(initial, "pk", initial)]
        return list(field.queryset.values_list("pk", flat=True))

    def clean_public_id(self) -> str:
        """The id, checked as the API checks it; empty where the form lets the service
        generate one."""
        value = (self.cleaned_data.get("public_id") or "").strip()
        if value:
            try:
                clean_id(value)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from exc
        return value

    def check_relations(self, cleaned: dict[str, Any], tenant: Any) -> None:
        """Adds errors for references the document makes (none by default)."""

    def check_document(self, cleaned: dict[str, Any]) -> None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        conflict = version_conflict(self)
        if conflict:
            raise forms.ValidationError(conflict)
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        self.check_relations(cleaned, tenant)
        model = self._meta.model
        public_id = cleaned.get("public_id")
        if (
            not self.instance.pk
            and tenant is not None
            and public_id
            and model.objects.filter(tenant=tenant, public_id=public_id).exists()
        ):
            self.add_error("public_id", f"The tenant {tenant} already has this id.")
        try:
            self.check_document(cleaned)
        except ApplicationError as exc:
            api_error_on_form(self, exc, self.error_fields)
        return cleaned
