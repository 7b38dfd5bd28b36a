"""The production URLs plus two references measured in every storefront benchmark run:

- `customer-segment/{tenant}/bench/bare`: the framework's ceiling, a DRF view with no
  authentication, no throttling and no database answering 20 small items (only the
  middleware runs before it, the same as before every API request);
- `customer-segment/{tenant}/bench/authenticated`: the same answer behind the service's token
  authentication, scope check and rate limit (the API's base view, as every path has).

It also counts the storefront answers the server computes (cache misses) in Redis, for
`bench/mixed.py`'s hit ratio: one INCR per computed answer, never on a cached one.

Only `bench/settings.py` names this module: production never serves these paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.core.cache import cache
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from segments.api import storefront_views
from segments.services.storefront_cache import Computation
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


class AuthenticatedBareView(TenantAPIView):
    """The bare answer to any token of the tenant that may read its own segments."""

    required_scopes = {"GET": frozenset({scopes.SEGMENT_READ_OWN, scopes.SEGMENT_READ})}

    def get(self, request: Request, tenant: str) -> Response:
        return Response(BARE_ITEMS)


COMPUTED_KEY = "bench-storefront-computed"


def _counted(cached_answer: Callable[..., Any]) -> Callable[..., Any]:
    def answer(tenant: str, parts: list[str], prepare: Callable[[], Computation]) -> Any:
        def counted_prepare() -> Computation:
            computation = prepare()

            def counted() -> Any:
                if not cache.add(COMPUTED_KEY, 1, None):
                    cache.incr(COMPUTED_KEY)
                return computation.compute()

            return replace(computation, compute=counted)

        return cached_answer(tenant, parts, counted_prepare)

    return answer


storefront_views.cached_answer = _counted(storefront_views.cached_answer)

urlpatterns = [
    path("customer-segment/<str:tenant>/bench/bare", BareView.as_view()),
    path("customer-segment/<str:tenant>/bench/authenticated", AuthenticatedBareView.as_view()),
    *project_urlpatterns,
]
