"""The segment admin's own pages: members, items, imports, CSV exports, storefront preview.

They live under the segment's change page (`<pk>/members/`, `<pk>/items/`, `<pk>/import/`)
and stay fast for segments with 100,000 members: lists are paged with Django's Paginator
and searched in the database, choices are select2 autocompletes, never select boxes of
every customer or product. Every write goes through the services the API uses and is
recorded in the admin's LogEntry with the user.

Permissions: reading needs the view permission on segments, writing the change
permission; both on a segment of a tenant granted to the user (the admin's `get_object`
is tenant-scoped).

- `urls`: the routes, for `SegmentAdmin.get_urls`
- `pages`: what every page shares (permission checks, paging, context)
- `members`, `items`: the paged assignment lists with add and remove
- `exports`: CSV downloads; `imports` and `import_jobs`: file imports with a dry run
- `preview`: the storefront as a customer sees it
"""

from .exports import assignments_csv_response
from .urls import segment_urls

__all__ = ["assignments_csv_response", "segment_urls"]
