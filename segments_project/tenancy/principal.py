"""Who is calling: the tenant, client and (for customer tokens) customer of a bearer token,
or an anonymous storefront visitor."""

from __future__ import annotations

from dataclasses import dataclass

from .scopes import ANY_TENANT_TOKEN


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of an API request; stands in for `request.user`."""

    tenant: str
    client_id: str
    scopes: frozenset[str]
    customer_id: str | None = None
    legal_entity_id: str | None = None
    # The anonymous session of a storefront visitor's token (its scopes are then exactly
    # `VISITOR_SCOPES`); None for client and customer tokens.
    session_id: str | None = None

    is_authenticated = True
    is_anonymous = False

    @property
    def is_customer(self) -> bool:
        return self.customer_id is not None

    @property
    def is_visitor(self) -> bool:
        """An anonymous storefront visitor: no customer, no memberships, no writes."""
        return self.session_id is not None

    def has_any_scope(self, scopes: frozenset[str]) -> bool:
        return bool(self.scopes & scopes) or ANY_TENANT_TOKEN in scopes

    def __str__(self) -> str:
        if self.session_id:
            return f"{self.tenant}/{self.client_id} for anonymous session {self.session_id}"
        if self.customer_id:
            return f"{self.tenant}/{self.client_id} for customer {self.customer_id}"
        return f"{self.tenant}/{self.client_id}"
