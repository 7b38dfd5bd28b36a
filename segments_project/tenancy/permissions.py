"""Scope and tenant checks shared by every API view."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from segments_project.errors import ErrorDetail, PermissionDenied

from .principal import Principal
from .scopes import ANY_TENANT_TOKEN


class HasOperationScopes(BasePermission):
    """Allows a request whose token holds one of the operation's scopes, in the path's tenant.

    Views declare `required_scopes = {"GET": frozenset({...}), ...}`; a method without an
    entry is refused, so a forgotten declaration fails closed.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            raise NotAuthenticated("Invalid access token")
        tenant = view.kwargs.get("tenant")
        if tenant is not None and tenant != principal.tenant:
            raise PermissionDenied(f"The access token is not valid for tenant {tenant}.")
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 for a method it does not have
        scopes = getattr(view, "required_scopes", {}).get(request.method)
        if not scopes or not principal.has_any_scope(scopes):
            raise missing_scope(scopes or frozenset())
        return True


def missing_scope(scopes: frozenset[str]) -> PermissionDenied:
    """The 403 of a token without any of the operation's scopes.

    Emporix clients look for a `details` entry that is the string `missing scope: <scope>`
    (in every family); there is one per scope that would have sufficed (any one of them
    does). The marker that opens an operation to every token of the tenant is no scope and
    is never named.
    """
    named = sorted(scopes - {ANY_TENANT_TOKEN})
    message = "The access to the requested resource has been forbidden by the server"
    if named:
        message += f": it needs one of the scopes {', '.join(named)}"
    return PermissionDenied(
        message + ".",
        details=[
            ErrorDetail(field="", type="", message=f"missing scope: {scope}") for scope in named
        ],
    )
