"""Storefront reads: what the caller's segments give them, cached per view with ETags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.documents import clean_id, invalid
from segments_project.api.projection import project, requested_fields
from segments_project.api.views import TenantAPIView
from segments_project.db_router import replica_reads_begin, replica_reads_end, wrote_recently
from segments_project.tenancy import scopes, versions

from ..documents.items import ITEM_ASSIGNMENT_QUERY_FIELDS, item_assignment_document
from ..documents.segments import segment_document
from ..models import Segment
from ..selectors.items import item_assignments_in
from ..selectors.storefront_match import match_products
from ..selectors.storefront_scope import StorefrontScope, scope_for
from ..selectors.storefront_trees import segment_category_forest
from ..services.storefront_cache import Dependencies, cached_answer, etag_matches
from . import storefront_filters as filters
from . import storefront_schemas as schemas

OWN_OR_READ = frozenset({scopes.SEGMENT_READ_OWN, scopes.SEGMENT_READ})
# The items and trees a storefront shows before login: an anonymous visitor's view, of no
# member (`scope_for`).
OWN_READ_OR_VISITOR = OWN_OR_READ | scopes.VISITOR_SCOPES
MAX_MATCH_ITEMS = 1000
MAX_MATCH_SEGMENTS = 1000


class StorefrontView(TenantAPIView):
    """A read computed for one customer's view and served from the cache when it can be.

    Its queries may go to the read replica, unless the caller wrote moments ago.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "GET":
            allowed = not wrote_recently(
                tenant=self.principal.tenant, client_id=self.principal.client_id
            )
            self._replica_token = replica_reads_begin(allowed)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        token = getattr(self, "_replica_token", None)
        if token is not None:
            replica_reads_end(token)
            self._replica_token = None
        return super().finalize_response(request, response, *args, **kwargs)

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

    def cached_response(
        self,
        endpoint: str,
        scope: StorefrontScope,
        compute: Callable[[], tuple[Any, dict]],
        *,
        aspects: tuple[str, ...],
    ) -> HttpResponse | Response:
        """The answer, cached with the versions of `aspects` of the scope's segments
        (`tenancy/versions.py`: what of a segment the answer shows)."""
        params = sorted(
            (key, value) for key, values in self.request.query_params.lists() for value in values
        )
        parts = [
            endpoint,
            scope.cache_key(),
            self.languages.cache_key(),
            repr(params),
            str(self.request.headers.get("X-Total-Count", "")).lower(),
        ]

        def dependencies() -> Dependencies:
            keys, valid_until = scope.dependencies(aspects)
            return Dependencies(keys=keys, valid_until=valid_until)

        answer = cached_answer(
            self.tenant,
            parts,
            compute,
            scope_keys=scope.version_keys(),
            dependencies=dependencies,
        )
        headers = {
            "ETag": answer.etag,
            "Cache-Control": "private, no-cache",
            "Vary": "Authorization, Accept-Language",
        }
        if etag_matches(self.request.headers.get("If-None-Match"), answer.etag):
            return Response(status=304, headers=headers)
        response = HttpResponse(answer.body, content_type="application/json")
        for name, value in {**headers, **answer.headers}.items():
            response[name] = value
        return response


@schemas.segments_items
class SegmentsItemsView(StorefrontView):
    required_scopes = {"GET": OWN_READ_OR_VISITOR}
    operation_ids = {"GET": "GET-customer-segment-retrieve-segments-items"}
    filtersets = {"GET": filters.StorefrontFilterSet}

    def get(self, request: Request, tenant: str) -> HttpResponse | Response:
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

        return self.cached_response(
            "segments-items", scope, compute, aspects=(versions.SEGMENT, versions.ITEMS_SHOWN)
        )


@schemas.segment_category_trees
class SegmentCategoryTreesView(StorefrontView):
    required_scopes = {"GET": OWN_READ_OR_VISITOR}
    operation_ids = {"GET": "GET-customer-segment-retrieve-category-trees"}
    filtersets = {"GET": filters.StorefrontTreeFilterSet}

    def get(self, request: Request, tenant: str) -> HttpResponse | Response:
        scope = self.scope()
        languages = self.languages
        graft = self.query_filters()["includeProductCategories"]

        def compute() -> tuple[Any, dict]:
            forest = segment_category_forest(scope, languages, include_product_categories=graft)
            return forest, {}

        aspects = (versions.SEGMENT, versions.TREE) + ((versions.GRAFTED,) if graft else ())
        return self.cached_response("category-trees", scope, compute, aspects=aspects)


@schemas.my_segments
class MySegmentsView(StorefrontView):
    required_scopes = {"GET": OWN_OR_READ}
    operation_ids = {"GET": "GET-customer-segment-retrieve-my-segments"}
    filtersets = {"GET": filters.StorefrontFilterSet}

    def get(self, request: Request, tenant: str) -> HttpResponse | Response:
        scope = self.scope()
        languages = self.languages
        # `fields` is one of the query parameters the cache key is made of.
        projection = requested_fields(request)

        def compute() -> tuple[Any, dict]:
            segments = scope.segments().order_by("public_id")
            # A storefront answer: the segments' rules (`criteria`) are the merchant's own
            # business, read through `GET /segments/{id}` with a manage or read scope.
            documents = [
                _without_rule(segment_document(segment, languages)) for segment in segments
            ]
            return [project(document, projection) for document in documents], {}

        return self.cached_response("me-segments", scope, compute, aspects=(versions.SEGMENT,))


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
