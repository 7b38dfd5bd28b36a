"""Storefront reads: what the caller's segments give them, cached per view with ETags.

A cached answer is served gzip-compressed to a client that accepts gzip when it is large
enough to be stored so (`services/storefront_cache.py`), with `Content-Encoding: gzip` and
an ETag of its own; every answer says `Vary: Accept-Encoding`. A compressing middleware
leaves a response that has a Content-Encoding alone (Django's `GZipMiddleware` does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.documents import clean_id, invalid
from segments_project.api.projection import project, requested_fields
from segments_project.api.views import TenantAPIView, check_path
from segments_project.db_router import replica_reads_begin, replica_reads_end, wrote_recently
from segments_project.errors import ApplicationError
from segments_project.tenancy import scopes, versions
from segments_project.tenancy.principal import Principal

from ..documents.items import ITEM_ASSIGNMENT_QUERY_FIELDS, item_assignment_document
from ..documents.segments import segment_document
from ..models import Segment
from ..selectors.items import item_assignments_in
from ..selectors.storefront_match import match_products
from ..selectors.storefront_scope import StorefrontScope, scope_for
from ..selectors.storefront_trees import segment_category_forest
from ..services.storefront_cache import (
    CachedAnswer,
    Computation,
    Dependencies,
    accepts_gzip,
    cached_answer,
    cached_hit,
    etag_matches,
)
from . import storefront_filters as filters
from . import storefront_schemas as schemas

OWN_OR_READ = frozenset({scopes.SEGMENT_READ_OWN, scopes.SEGMENT_READ})
# The items and trees a storefront shows before login: an anonymous visitor's view, of no
# member (`scope_for`).
OWN_READ_OR_VISITOR = OWN_OR_READ | scopes.VISITOR_SCOPES
MAX_MATCH_ITEMS = 1000
MAX_MATCH_SEGMENTS = 1000
# Computes an answer: (data, headers).
Compute = Callable[[], tuple[Any, dict]]


class StorefrontView(TenantAPIView):
    """A read computed for one customer's view and served from the cache when it can be.

    A cached answer is served without computing the view: its parameters are checked, its
    scope built and its queries sent only on a miss (`cached_response`). Those queries may
    go to the read replica, unless the caller wrote moments ago.

    A warm GET is served before DRF's request cycle (`served_from_cache`): the cycle's own
    work (wrapping the request, negotiating, instantiating and running its hooks, the
    exception handling) cost a warm read about as much as the rest of it.
    """

    # Names the view's answers in the cache key; None for a view that caches none.
    endpoint: str | None = None
    # Set when `served_from_cache` looked the answer up and found none current.
    _missed = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET" and self.endpoint is not None:
            response = self.served_from_cache(request, kwargs)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def served_from_cache(
        self, request: HttpRequest, kwargs: dict[str, Any]
    ) -> HttpResponseBase | None:
        """The cached answer to a GET that passes every check DRF's cycle would make, by the
        same code (the path's checks, the view's authenticator for a remembered token, its
        permissions, then the lookup, then its rate limits), or None: then the cycle
        answers, with its error or a computed answer. The rate limit is spent only for an
        answer served here, so a request the cycle answers is counted once."""
        self.args, self.kwargs, self.request = (), kwargs, request
        self.headers = self.default_response_headers
        try:
            check_path(kwargs, request.META.get("HTTP_EMPORIX_TENANT"))
            # Only a token verified moments ago: the cycle verifies the others, once.
            authenticators = self.get_authenticators()
            if len(authenticators) != 1 or not hasattr(authenticators[0], "remembered"):
                return None
            verified = authenticators[0].remembered(request)
            if verified is None:
                return None
            request.user, request.auth = verified
            if not all(
                permission.has_permission(request, self) for permission in self.get_permissions()
            ):
                return None
        except (APIException, ApplicationError):
            return None  # the cycle raises it again and answers it
        answer = cached_hit(self.tenant, self.answer_parts())
        if answer is None:
            self._missed = True
            return None
        if not all(throttle.allow_request(request, self) for throttle in self.get_throttles()):
            return None
        return self.finalize_response(request, self.answer_response(answer))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        token = getattr(self, "_replica_token", None)
        if token is not None:
            replica_reads_end(token)
            self._replica_token = None
        return super().finalize_response(request, response, *args, **kwargs)

    def read_from_replica_if_allowed(self) -> None:
        """Lets the rest of the request read from the replica, unless the caller wrote within
        `READ_YOUR_WRITES_SECONDS` (a cache round trip: asked on a miss only)."""
        allowed = not wrote_recently(
            tenant=self.principal.tenant, client_id=self.principal.client_id
        )
        self._replica_token = replica_reads_begin(allowed)

    def scope(self) -> StorefrontScope:
        params = self.query_filters()
        return scope_for(
            self.principal,
            tenant=self.tenant,
            customer_id=params["customerId"],
            legal_entity_id=params["legalEntityId"],
            site_code=params["siteCode"],
            only_active=params["onlyActive"],
        )

    def answer_parts(self) -> list[str]:
        """What the answer's cache key is made of: the endpoint, the caller's identity (the
        principal's fields `scope_for` reads), the query string and the languages.

        The query string as sent: the same string always parses to the same parameters,
        and it needs no parsing on a hit. (Sorted parsed pairs, as before, gave
        `customerId=a&customerId=b` and its reverse one key, though the last value is
        the one read.) The same parameters in another order are another entry."""
        return [
            self.endpoint,
            _caller_key(self.principal),
            self.languages.cache_key(),
            self.request.META.get("QUERY_STRING", ""),
            self.request.META.get("HTTP_X_TOTAL_COUNT", "").lower(),
        ]

    def cached_response(
        self, prepare: Callable[[], tuple[StorefrontScope, tuple[str, ...], Compute]]
    ) -> HttpResponse:
        """The cached answer, or the one `prepare()` describes: it checks the request's
        parameters and returns the scope, the `aspects` of its segments the answer shows
        (`tenancy/versions.py`) and how to compute the answer. It runs on a miss only, so
        it may read only what the cache key is made of (`answer_parts`)."""

        def computation() -> Computation:
            scope, aspects, compute = prepare()
            self.read_from_replica_if_allowed()

            def dependencies() -> Dependencies:
                keys, valid_until = scope.dependencies(aspects)
                return Dependencies(keys=keys, valid_until=valid_until)

            return Computation(
                scope_keys=scope.version_keys(), dependencies=dependencies, compute=compute
            )

        answer = cached_answer(self.tenant, self.answer_parts(), computation, missed=self._missed)
        return self.answer_response(answer)

    def answer_response(self, answer: CachedAnswer) -> HttpResponse:
        """The compressed or the identity form of the answer, each with its own ETag, or a
        304 if the request's If-None-Match names the form's ETag."""
        meta = self.request.META  # not `headers`, which Django would build for this
        served = answer.representation(accepts_gzip(meta.get("HTTP_ACCEPT_ENCODING")))
        response = HttpResponse(content_type="application/json")
        response["ETag"] = served.etag
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Authorization, Accept-Language, Accept-Encoding"
        if etag_matches(meta.get("HTTP_IF_NONE_MATCH"), served.etag):
            response.status_code = 304
            del response["Content-Type"]  # no body
            return response
        response.content = served.body
        for name, value in answer.headers.items():
            response[name] = value
        if served.content_encoding is not None:
            response["Content-Encoding"] = served.content_encoding
        return response


def _caller_key(principal: Principal) -> str:
    """Whose view `scope_for` computes for this principal, before the parameters: a
    visitor's, a customer's (for its token's legal entity unless one is asked), or a
    tenant-wide reader's (the parameters name the customer, if any)."""
    if principal.is_visitor:
        return "(visitor)"
    if principal.is_customer:
        return repr(("customer", principal.customer_id, principal.legal_entity_id))
    return "*"


@schemas.segments_items
class SegmentsItemsView(StorefrontView):
    endpoint = "segments-items"
    required_scopes = {"GET": OWN_READ_OR_VISITOR}
    operation_ids = {"GET": "GET-customer-segment-retrieve-segments-items"}
    filtersets = {"GET": filters.StorefrontFilterSet}

    def get(self, request: Request, tenant: str) -> HttpResponse | Response:
        def prepare() -> tuple[StorefrontScope, tuple[str, ...], Compute]:
            scope = self.scope()
            languages = self.languages

            def compute() -> tuple[Any, dict]:
                assignments = item_assignments_in(tenant=tenant, segments=scope.segments())
                return self.list_page(
                    assignments,
                    render=lambda row: item_assignment_document(row, languages),
                    fields=ITEM_ASSIGNMENT_QUERY_FIELDS,
                    q=request.query_params.get("q"),
                )

            return scope, (versions.SEGMENT, versions.ITEMS_SHOWN), compute

        return self.cached_response(prepare)


@schemas.segment_category_trees
class SegmentCategoryTreesView(StorefrontView):
    endpoint = "category-trees"
    required_scopes = {"GET": OWN_READ_OR_VISITOR}
    operation_ids = {"GET": "GET-customer-segment-retrieve-category-trees"}
    filtersets = {"GET": filters.StorefrontTreeFilterSet}

    def get(self, request: Request, tenant: str) -> HttpResponse | Response:
        def prepare() -> tuple[StorefrontScope, tuple[str, ...], Compute]:
            scope = self.scope()
            languages = self.languages
            graft = self.query_filters()["includeProductCategories"]

            def compute() -> tuple[Any, dict]:
                forest = segment_category_forest(scope, languages, include_product_categories=graft)
                return forest, {}

            aspects = (versions.SEGMENT, versions.TREE) + ((versions.GRAFTED,) if graft else ())
            return scope, aspects, compute

        return self.cached_response(prepare)


@schemas.my_segments
class MySegmentsView(StorefrontView):
    endpoint = "me-segments"
    required_scopes = {"GET": OWN_OR_READ}
    operation_ids = {"GET": "GET-customer-segment-retrieve-my-segments"}
    filtersets = {"GET": filters.StorefrontFilterSet}

    def get(self, request: Request, tenant: str) -> HttpResponse | Response:
        def prepare() -> tuple[StorefrontScope, tuple[str, ...], Compute]:
            scope = self.scope()
            languages = self.languages
            # `fields` is one of the query parameters the cache key is made of.
            projection = requested_fields(request)

            def compute() -> tuple[Any, dict]:
                segments = scope.segments().order_by("public_id")
                # A storefront answer: the segments' rules (`criteria`) are the merchant's
                # own business, read through `GET /segments/{id}` with a manage or read
                # scope.
                documents = [
                    _without_rule(segment_document(segment, languages)) for segment in segments
                ]
                return [project(document, projection) for document in documents], {}

            return scope, (versions.SEGMENT,), compute

        return self.cached_response(prepare)


def _without_rule(document: dict[str, Any]) -> dict[str, Any]:
    document.pop("criteria", None)
    return document


@schemas.segment_match
class SegmentMatchView(StorefrontView):
    required_scopes = {"POST": frozenset({scopes.SEGMENT_MANAGE, scopes.SEGMENT_READ_OWN})}
    operation_ids = {"POST": "POST-customer-segment-check-match"}

    def post(self, request: Request, tenant: str) -> Response:
        body = request.data if request.data is not None else {}
        if not isinstance(body, dict):
            raise invalid("body", "The match body must be an object.")
        items = body.get("items")
        if not isinstance(items, list) or len(items) > MAX_MATCH_ITEMS:
            raise invalid("items", f"items must be a list of at most {MAX_MATCH_ITEMS} objects.")
        product_ids = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise invalid(f"items[{index}]", "Every item must be an object with an id.")
            product_ids.append(clean_id(item.get("id"), f"items[{index}].id"))
        site = body.get("site", body.get("siteCode"))
        if site is not None:
            site = clean_id(site, "site")
        segment_ids = body.get("segmentIds")
        if segment_ids is not None and (
            not isinstance(segment_ids, list) or len(segment_ids) > MAX_MATCH_SEGMENTS
        ):
            raise invalid("segmentIds", "segmentIds must be a list of segment ids.")
        if segment_ids is None and not self.principal.is_customer:
            raise invalid("segmentIds", "segmentIds is required.", type="required")
        segments = self._segments(tenant, segment_ids, site)
        matches = match_products(tenant=tenant, product_ids=product_ids, segments=segments)
        ordered = dict.fromkeys(product_ids)
        return Response(
            [{"id": pid, "segmentIds": matches[pid]} for pid in ordered if pid in matches]
        )

    def _segments(self, tenant: str, segment_ids: list | None, site: str | None):
        """Active, valid segments of the site; for a customer, only its own."""
        if self.principal.is_customer:
            scope = scope_for(
                self.principal,
                tenant=tenant,
                customer_id=None,
                legal_entity_id=self.request.query_params.get("legalEntityId"),
                site_code=site,
            )
            if segment_ids is None:
                return scope.segment_rows()
            segments = scope.segments()
        else:
            segments = Segment.objects.for_tenant(tenant).active_at(timezone.now())
            if site is not None:
                segments = segments.filter(site_code=site)
        if segment_ids is not None:
            ids = [clean_id(segment_id, "segmentIds") for segment_id in segment_ids]
            segments = segments.filter(public_id__in=ids)
        return segments
