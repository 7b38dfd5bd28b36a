"""The base of every tenant API view: tenant checks, scopes, languages and list answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import F, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from segments_project.audit.actor import reset_actor, set_actor
from segments_project.audit.hooks import principal_actor
from segments_project.db_router import note_write
from segments_project.errors import ErrorDetail, ValidationFailed
from segments_project.tenancy.models import TENANT_NAME_PATTERN
from segments_project.tenancy.principal import Principal

from .documents import invalid
from .filters import FilterValues, QueryFilterBackend, parse_bool
from .localization import LanguagePreference, parse_accept_language, parse_content_language
from .pagination import page_request, paginate, wants_total_count
from .parsers import has_unstorable_text
from .projection import project, requested_fields
from .query import FieldSpec, compile_query, compile_sort

_TENANT_RE = re.compile(TENANT_NAME_PATTERN)


def check_path(kwargs: Mapping[str, Any], header_tenant: str | None) -> None:
    """Raises ValidationFailed unless the path names a valid tenant, its parameters are
    storable text and the `Emporix-Tenant` header, if sent, names the same tenant."""
    tenant = kwargs.get("tenant", "")
    if not _TENANT_RE.match(tenant):
        raise ValidationFailed(
            f"{tenant!r} is not a valid tenant name.",
            details=[ErrorDetail("tenant", "invalid", "3 to 16 lowercase letters and digits.")],
        )
    for name, value in kwargs.items():
        if isinstance(value, str) and has_unstorable_text(value):
            raise ValidationFailed(
                f"The path parameter {name} holds a NUL character or a lone surrogate.",
                details=[ErrorDetail(name, "invalid", "Not storable text.")],
            )
    if header_tenant is not None and header_tenant.strip().lower() != tenant:
        raise ValidationFailed(
            "The Emporix-Tenant header does not match the tenant of the path.",
            details=[ErrorDetail("Emporix-Tenant", "invalid", "Must equal the path's tenant.")],
        )


class TenantAPIView(APIView):
    """An API view under `/<service>/{tenant}/...`.

    Subclasses declare `required_scopes` (HTTP method -> any-of scope set),
    `operation_ids` (HTTP method -> the vendor's operationId, used by the schema) and
    `filtersets` (HTTP method -> the FilterSet of its plain query parameters).
    """

    required_scopes: Mapping[str, frozenset[str]] = {}
    operation_ids: Mapping[str, str] = {}
    filter_backends = (QueryFilterBackend,)
    filtersets: Mapping[str, type] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        check_path(kwargs, request.META.get("HTTP_EMPORIX_TENANT"))
        super().initial(request, *args, **kwargs)
        # Authenticated now: the audit trail attributes this request's writes to the caller.
        self._audit_token = set_actor(principal_actor(request.user, request.META))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        audit_token = getattr(self, "_audit_token", None)
        if audit_token is not None:
            reset_actor(audit_token)
            self._audit_token = None
        # Only a successful write reads `request.user`: after a failed authentication DRF
        # would authenticate again (a second database query, during an outage a second error).
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            principal = getattr(request, "user", None)
            if isinstance(principal, Principal):
                note_write(tenant=principal.tenant, client_id=principal.client_id)
        return super().finalize_response(request, response, *args, **kwargs)

    @property
    def tenant(self) -> str:
        return self.kwargs["tenant"]

    @property
    def principal(self) -> Principal:
        return self.request.user

    @property
    def languages(self) -> LanguagePreference:
        # META, not `headers`: building the latter costs a warm read more than parsing.
        return parse_accept_language(self.request.META.get("HTTP_ACCEPT_LANGUAGE"))

    @property
    def content_language(self) -> str | None:
        return parse_content_language(self.request.headers.get("Content-Language"))

    def query_param_bool(self, name: str, default: bool = False) -> bool:
        """A boolean parameter of an operation without a filter set (a delete's option)."""
        return parse_bool(self.request.query_params.get(name), name, default)

    def query_filters(self) -> FilterValues:
        """The request's parameters parsed by the method's filter set (`filtersets`)."""
        if getattr(self, "_query_filters", None) is None:
            self._query_filters = QueryFilterBackend().values(self.request, self)
        return self._query_filters

    def search_query(self) -> str | None:
        """The `q` of a search endpoint's body (`{"q": "..."}`; no body is no filter)."""
        body = self.request.data if self.request.data is not None else {}
        if not isinstance(body, dict):
            raise invalid("body", "The search body must be an object with a q member.")
        q = body.get("q")
        if q is not None and not isinstance(q, str):
            raise invalid("q", "q must be a string.")
        return q

    def list_page(
        self,
        queryset: QuerySet,
        *,
        render: Callable[[Any], dict[str, Any]],
        fields: Mapping[str, FieldSpec],
        q: str | None = None,
        default_size: int | None = None,
        tie_breaker: str = "pk",
        prepare: Callable[[list[Any]], None] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Filters by `q`, sorts, pages and projects a list the vendor's way.

        `prepare(rows)` runs once with the page's rows before any is rendered, to fetch what
        their documents need in one query instead of one per row.
        Returns the page's documents and the headers to answer with (`X-Total-Count`).
        """
        params = self.request.query_params
        queryset = queryset.filter(compile_query(q, fields))
        ordering = [*compile_sort(params.get("sort"), fields), F(tie_breaker).asc()]
        page = page_request(params, **({"default_size": default_size} if default_size else {}))
        projection = requested_fields(self.request)
        rows = paginate(queryset.order_by(*ordering), page)
        if prepare is not None:
            prepare(rows)
        headers = {}
        if wants_total_count(self.request.headers):
            headers["X-Total-Count"] = str(queryset.count())
        return [project(render(row), projection) for row in rows], headers

    def list_response(self, queryset: QuerySet, **kwargs: Any) -> Response:
        """`list_page` as a response; takes the same arguments."""
        documents, headers = self.list_page(queryset, **kwargs)
        return Response(documents, headers=headers)

    def created(self, resource_id: str) -> Response:
        return Response({"id": resource_id}, status=201)

    def upserted(self, resource_id: str, created: bool) -> Response:
        return self.created(resource_id) if created else Response(status=204)
