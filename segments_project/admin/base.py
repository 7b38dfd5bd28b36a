"""The ModelAdmin base of every admin that writes through a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import require_tenant

from .display import readable_form
from .widgets import localized_display


class Titled:
    """An object as the admin's pages name it: its `object_title` where Django would print
    `str(obj)` ("demo/gold"); every attribute is the object's."""

    def __init__(self, obj: Any, title: str) -> None:
        self._obj = obj
        self._title = title

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._title


class ServiceWriteAdmin(admin.ModelAdmin):
    """A ModelAdmin whose `save_model` writes through a service.

    A service error that the form could not foresee (a concurrent write) is reported with
    `message_user`; nothing is saved or logged and the user returns to the form.

    Its pages name an object by `object_title` (its name), not by `str(obj)` (tenant/id):
    the change page's heading, title and breadcrumb (`templates/admin/change_form.html`),
    the delete confirmation, the history page and the "was changed" messages.
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

    def titled(self, obj: Any) -> Titled:
        return Titled(obj, self.object_title(obj))

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        context["object"] = self.titled(context["object"])
        return super().render_delete_form(request, context)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # The delete view reports the deleted object by `str(obj)`: remember its title.
        request._deleted_titles = {str(obj): self.object_title(obj) for obj in queryset}  # type: ignore[attr-defined]
        return super().log_deletions(request, queryset)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        titles = getattr(request, "_deleted_titles", {})
        return super().response_delete(request, titles.get(obj_display, obj_display), obj_id)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        if isinstance(response, TemplateResponse) and "object" in response.context_data:
            titled = self.titled(response.context_data["object"])
            response.context_data["object"] = titled
            response.context_data["title"] = f"Change history: {titled}"
        return response

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
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, *args)
        return super().response_add(request, self.titled(obj), *args)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        if self._failed(request):
            return HttpResponseRedirect(request.get_full_path())
        if IS_POPUP_VAR in request.POST:
            return super().response_change(request, obj)
        return super().response_change(request, self.titled(obj))
