"""The segments admin (Django's autodiscovery imports this package): `segments` (the
segment admin, customers, legal entities, and the catalog's products and categories with
the segments that give them), `forms` (its forms, checked by the API's document
functions) and `views` (the segment's own pages: members, items, imports, preview)."""

from . import segments  # noqa: F401  (registers the admins)
