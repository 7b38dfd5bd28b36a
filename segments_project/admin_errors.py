"""The admin console's own error pages: HTML in the admin's frame, where the API answers JSON.

A request the admin cannot read (400), a page the user may not see (403, a form sent with
an outdated CSRF token included) or that names no row they may see (404) is an expected
event in the admin, not an incident: it is recorded by the request log like any answer,
without the traceback Django would log at WARNING.
"""

from __future__ import annotations

from functools import cache

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


@cache
def admin_prefix() -> str:
    """Where the admin is mounted; resolved once, not on every request."""
    return reverse("admin:index")


def is_admin_request(request: HttpRequest) -> bool:
    return request.path.startswith(admin_prefix())


def admin_error_page(request: HttpRequest, status: int, *, reason: str = "") -> HttpResponse:
    """The admin's page for a 400, 403 or 404 (`admin/<status>.html`), with the reason when
    there is one the user can act on."""
    context = {**admin.site.each_context(request), "reason": reason}
    response = render(request, f"admin/{status}.html", context, status=status)
    # Django's own flag against logging a response twice: set, it logs no WARNING with the
    # traceback of the PermissionDenied or Http404 (the request log still has the line).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
