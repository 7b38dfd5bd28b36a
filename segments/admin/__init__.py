"""The segments admin (Django's autodiscovery imports this package): `segments` (the
segment admin), `directory` (customers and legal entities), `catalog` (the catalog's
products and categories with the segments that give them), `columns` (what their lists
share), `forms` (the segment's forms) and `directory_forms` (the directory's), checked by
the API's document functions, and `views` (the segment's own pages: members, items,
imports, preview)."""

from . import catalog, directory, segments  # noqa: F401  (registers the admins)
