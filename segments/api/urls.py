"""Routes of `/customer-segment/<tenant>/`: the storefront reads, segments, a segment's
items, members, exclusions, rule evaluation and the changes feed (`events`). The
directory's routes (`/customer/<tenant>/`) are in `directory_urls`.

The storefront's fixed words (`segments/items`, `segments/match`) and `segments/explain`
come before `segments/<segment_id>`, which would otherwise swallow them.
"""

from .evaluation_urls import urlpatterns as evaluation_urlpatterns
from .event_urls import urlpatterns as event_urlpatterns
from .exclusion_urls import urlpatterns as exclusion_urlpatterns
from .explain_urls import urlpatterns as explain_urlpatterns
from .item_urls import urlpatterns as item_urlpatterns
from .member_urls import urlpatterns as member_urlpatterns
from .segment_urls import urlpatterns as segment_urlpatterns
from .storefront_urls import urlpatterns as storefront_urlpatterns

urlpatterns = [
    *storefront_urlpatterns,
    *explain_urlpatterns,
    *segment_urlpatterns,
    *item_urlpatterns,
    *member_urlpatterns,
    *exclusion_urlpatterns,
    *evaluation_urlpatterns,
    *event_urlpatterns,
]
