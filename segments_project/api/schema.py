"""drf-spectacular glue: the vendor's operationIds and each operation's scopes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from segments_project.tenancy.scopes import ANONYMOUS_VISITOR, ANY_TENANT_TOKEN, DESCRIPTIONS

from .error_shapes import ErrorFamily, family_for_path
from .filters import QueryFilterBackend, QueryFilterExtension  # noqa: F401 (registers it)
from .schema_components import (
    CategoryErrorSerializer,
    CouponErrorSerializer,
    ErrorSerializer,
    ProductErrorSerializer,
)

# The error component of each API family (`error_shapes` builds the bodies).
FAMILY_ERRORS: dict[ErrorFamily, type[serializers.Serializer]] = {
    ErrorFamily.CUSTOMER_SEGMENT: ErrorSerializer,
    ErrorFamily.COUPON: CouponErrorSerializer,
    ErrorFamily.CATEGORY: CategoryErrorSerializer,
    ErrorFamily.PRODUCT: ProductErrorSerializer,
}

# Appended to the description of an operation open to every token (`ANY_TENANT_TOKEN`).
OPEN_TO_ANY_TOKEN = (
    "No particular scope is needed: any valid token of the tenant (client, customer or "
    "anonymous) may call it."
)


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

    def _scopes(self) -> frozenset[str] | None:
        return getattr(self.view, "required_scopes", {}).get(self.method.upper())

    def get_description(self) -> str:
        # Only a view's own docstring describes it, never the shared base class's.
        if not vars(type(self.view)).get("__doc__"):
            return ""
        return super().get_description()

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        if ANY_TENANT_TOKEN in (self._scopes() or ()):
            described = operation.get("description")
            operation["description"] = (
                f"{described}\n\n{OPEN_TO_ANY_TOKEN}" if described else OPEN_TO_ANY_TOKEN
            )
        self._answer_family_errors(operation)
        return operation

    def _answer_family_errors(self, operation: dict[str, Any]) -> None:
        """Operations declare the customer-segment error; each family answers its own."""
        family = family_for_path(self.path)
        if family is ErrorFamily.CUSTOMER_SEGMENT:
            return
        declared = self.resolve_serializer(ErrorSerializer(), "response").ref
        answered = self.resolve_serializer(FAMILY_ERRORS[family](), "response").ref
        for response in operation.get("responses", {}).values():
            for media in response.get("content", {}).values():
                if media.get("schema") == declared:
                    media["schema"] = answered

    def get_auth(self) -> list[dict[str, list[str]]]:
        scopes = self._scopes()
        if scopes is None:
            return []
        if ANY_TENANT_TOKEN in scopes:
            # A bearer token is needed, no scope: the vendor's own way to say so. An
            # anonymous storefront token is one of the tenant's tokens too.
            return [{"OAuth2": []}, {"AnonymousToken": []}]
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
