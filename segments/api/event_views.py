"""The changes feed: the tenant's change events in commit order (docs/events.md)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.pagination import page_request
from segments_project.api.views import TenantAPIView
from segments_project.events.envelope import event_envelope
from segments_project.events.feed import events_feed
from segments_project.tenancy import scopes

from . import event_filters as filters
from . import event_schemas as schemas

# The header that carries the cursor of the next page (the body is the plain JSON array
# every list answers).
NEXT_CURSOR = "X-Next-Cursor"


@schemas.event_feed
class EventFeedView(TenantAPIView):
    required_scopes = {"GET": frozenset({scopes.SEGMENT_READ})}
    operation_ids = {"GET": "GET-customer-segment-retrieve-events"}
    filtersets = {"GET": filters.EventFeedFilterSet}

    def get(self, request: Request, tenant: str) -> Response:
        params = self.query_filters()
        page = events_feed(
            tenant=tenant,
            after=params["after"],
            types=params["types"] or (),
            size=page_request(request.query_params).size,
        )
        return Response(
            [event_envelope(event) for event in page.events], headers={NEXT_CURSOR: page.cursor}
        )
