"""drf-spectacular glue: the vendor's operationIds and each operation's scopes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from segments_project.tenancy.scopes import ANONYMOUS_VISITOR, DESCRIPTIONS

from .filters import QueryFilterBackend, QueryFilterExtension  # noqa: F401 (registers it)


class ScopedAutoSchema(AutoSchema):
    """Takes operationIds and security from the view's `operation_ids`/`required_scopes`."""

    def get_operation_id(self) -> str:
        operation_ids = getattr(self.view, "operation_ids", {})
        return operation_ids.get(self.method.upper()) or super().get_operation_id()

    def get_filter_backends(self) -> list[Any]:
        # A filter set documents its method's parameters, list or tree or single answer.
        if QueryFilterBackend.filterset_class_for(self.view, self.method) is None:
            return []
        return list(getattr(self.view, "filter_backends", []))

    def get_description(self) -> str:
        # Only a view's own docstring describes it, never the shared base class's.
        if not vars(type(self.view)).get("__doc__"):
            return ""
        return super().get_description()

    def get_auth(self) -> list[dict[str, list[str]]]:
        scopes = getattr(self.view, "required_scopes", {}).get(self.method.upper())
        if scopes is None:
            return []
        # Each scope alone suffices: one security requirement per scope. The visitor is no
        # scope of the catalogue: an anonymous storefront token, a scheme of its own.
        found: list[dict[str, list[str]]] = [
            {"OAuth2": [scope]} for scope in sorted(scopes) if scope != ANONYMOUS_VISITOR
        ]
        if ANONYMOUS_VISITOR in scopes:
            found.append({"AnonymousToken": []})
        return found


def add_scope_catalogue(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Lists every known scope in the OAuth2 security scheme."""
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    flow = schemes.setdefault("OAuth2", {"type": "oauth2", "flows": {}})
    flow.setdefault("flows", {}).setdefault("clientCredentials", {"tokenUrl": "/oauth/token"})
    flow["flows"]["clientCredentials"]["scopes"] = dict(sorted(DESCRIPTIONS.items()))
    schemes["AnonymousToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An anonymous storefront visitor's token, from "
        "GET /customerlogin/auth/anonymous/login.",
    }
    return result
