"""Content negotiation that always answers JSON, as the vendor's API does."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class LenientContentNegotiation(DefaultContentNegotiation):
    """Clients send `Accept: */*` or browser defaults; the answer is JSON regardless."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
