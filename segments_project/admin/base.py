"""The ModelAdmin base of every admin that writes through a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import require_tenant

from .display import readable_form
from .widgets import localized_display


class ServiceWriteAdmin(admin.ModelAdmin):
    """A ModelAdmin whose `save_model` writes through a service.

    A service error that the form could not foresee (a concurrent write) is reported with
    `message_user`; nothing is saved or logged and the user returns to the form.
    """

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        view_only = obj is not None and not self.has_change_permission(request, obj)
        return readable_form(form, self.form.declared_fields, view_only=view_only)

    def object_title(self, obj: Any) -> str:
        """What the object's page is titled by: its name (in the admin's language), else its
        id."""
        name = getattr(obj, "name", None)
        if isinstance(name, dict):
            name = localized_display(name)
        return name or getattr(obj, "public_id", "") or str(obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context["subtitle"] = self.object_title(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def upsert_from_form(
        self,
        request: HttpRequest,
        obj: Any,
        form: Any,
        change: bool,
        *,
        document_from_form: Callable[..., dict[str, Any]],
        upsert: Callable[[dict[str, Any]], tuple[Any, bool]],
    ) -> Any | None:
        """The `save_model` of a document written by id: the tenant checked, the form's
        document (based on the version the form showed, on a change) given to `upsert`;
        the saved object, or None once the service's error is reported (`write_failed`)."""
        require_tenant(request, obj.tenant_id)
        values = form.cleaned_data
        document = document_from_form(
            values, version=values.get("base_version") if change else None
        )
        try:
            saved, _ = upsert(document)
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return None
        return saved

    def write_failed(self, request: HttpRequest, error: ApplicationError) -> None:
        self.message_user(request, error.message, level=messages.ERROR)
        request._service_write_failed = True  # type: ignore[attr-defined]

    @staticmethod
    def _failed(request: HttpRequest) -> bool:
        return getattr(request, "_service_write_failed", False)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not self._failed(request):
            super().save_related(request, form, formsets, change)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if self._failed(request) else super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if self._failed(request) else super().log_change(request, obj, message)

    def response_add(self, request: HttpRequest, obj: Any, *args: Any) -> HttpResponse:
        if self._failed(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, *args)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        if self._failed(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)
