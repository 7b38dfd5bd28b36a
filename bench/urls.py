"""The production URLs plus two references measured in every storefront benchmark run:

- `customer-segment/{tenant}/bench/bare`: the framework's ceiling, a DRF view with no
  authentication, no throttling and no database answering 20 small items (only the
  middleware runs before it, the same as before every API request);
- `customer-segment/{tenant}/bench/authenticated`: the same answer behind the service's token
  authentication, scope check and rate limit (the API's base view, as every path has);
- `customer-segment/{tenant}/bench/bare-large`: the bare ceiling for a large answer, a view
  as bare as the first answering one fixed JSON body of category-tree nodes the size of the
  trees' median answer at S (136 KB, or `BENCH_BARE_LARGE_BYTES`), built at import and
  gzip-compressed then too, and served compressed to a client that accepts gzip, as the
  cached storefront answers are (`segments/services/storefront_cache.py`). The category
  trees are compared with it as well as with the 20 small items (whose ratio the goals
  judge): what is left between them is the service's own cost, not the body's.

It also counts the storefront answers the server computes (cache misses) in Redis, for
`bench/mixed.py`'s hit ratio: one INCR per computed answer, never on a cached one.

Only `bench/settings.py` names this module: production never serves these paths.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path
from django.utils.cache import patch_vary_headers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from segments.api import storefront_views
from segments.services.storefront_cache import GZIP_LEVEL, Computation, accepts_gzip
from segments_project.api.views import TenantAPIView
from segments_project.tenancy import scopes
from segments_project.urls import handler400, handler403, handler404, handler500  # noqa: F401
from segments_project.urls import urlpatterns as project_urlpatterns

BARE_ITEMS = [{"id": f"item-{index}", "type": "PRODUCT", "position": index} for index in range(20)]


class BareView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get(self, request: Request, tenant: str) -> Response:
        return Response(BARE_ITEMS)


def _large_body(size: int) -> bytes:
    """A JSON forest of category-tree nodes shaped like the storefront's, of about `size`
    bytes, the same on every import (so it compresses as such an answer does)."""
    nodes: list[dict[str, Any]] = []
    length, index = 2, 0
    while length < size:
        children = [
            {
                "id": f"cat-{index:06d}-{child}",
                "position": child,
                "published": True,
                "parentId": f"cat-{index:06d}",
                "validity": {},
                "name": {"en": f"Category {index} {child}"},
                "isSegmentAssigned": child % 3 != 0,
                "segmentIds": [f"seg-{(index * 7 + child) % 1000:04d}"],
                "subcategories": [],
            }
            for child in range(4)
        ]
        node = {
            "id": f"cat-{index:06d}",
            "position": index % 17,
            "published": True,
            "validity": {},
            "name": {"en": f"Category {index}"},
            "isSegmentAssigned": False,
            "segmentIds": sorted({child["segmentIds"][0] for child in children}),
            "subcategories": children,
        }
        nodes.append(node)
        length += len(json.dumps(node, separators=(",", ":"))) + 1
        index += 1
    return json.dumps(nodes, separators=(",", ":"), ensure_ascii=False).encode()


BARE_LARGE_BYTES = int(os.environ.get("BENCH_BARE_LARGE_BYTES", "136000"))
BARE_LARGE_BODY = _large_body(BARE_LARGE_BYTES)
BARE_LARGE_GZIP = gzip.compress(BARE_LARGE_BODY, compresslevel=GZIP_LEVEL, mtime=0)


class BareLargeView(BareView):
    """The bare view with a large answer, precomputed and served as the cached storefront
    answers are: gzip-compressed to a client that accepts it, with `Vary`."""

    def get(self, request: Request, tenant: str) -> HttpResponse:  # type: ignore[override]
        if accepts_gzip(request.headers.get("Accept-Encoding")):
            response = HttpResponse(BARE_LARGE_GZIP, content_type="application/json")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(BARE_LARGE_BODY, content_type="application/json")
        patch_vary_headers(response, ("Accept-Encoding",))
        return response


class AuthenticatedBareView(TenantAPIView):
    """The bare answer to any token of the tenant that may read its own segments."""

    required_scopes = {"GET": frozenset({scopes.SEGMENT_READ_OWN, scopes.SEGMENT_READ})}

    def get(self, request: Request, tenant: str) -> Response:
        return Response(BARE_ITEMS)


COMPUTED_KEY = "bench-storefront-computed"


def _counted(cached_answer: Callable[..., Any]) -> Callable[..., Any]:
    def answer(
        tenant: str, parts: list[str], prepare: Callable[[], Computation], **options: Any
    ) -> Any:
        def counted_prepare() -> Computation:
            computation = prepare()

            def counted() -> Any:
                if not cache.add(COMPUTED_KEY, 1, None):
                    cache.incr(COMPUTED_KEY)
                return computation.compute()

            return replace(computation, compute=counted)

        return cached_answer(tenant, parts, counted_prepare, **options)

    return answer


storefront_views.cached_answer = _counted(storefront_views.cached_answer)

urlpatterns = [
    path("customer-segment/<str:tenant>/bench/bare", BareView.as_view()),
    path("customer-segment/<str:tenant>/bench/authenticated", AuthenticatedBareView.as_view()),
    path("customer-segment/<str:tenant>/bench/bare-large", BareLargeView.as_view()),
    *project_urlpatterns,
]
