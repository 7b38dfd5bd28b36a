"""Reads of the catalog, always scoped to one tenant: `categories` (the forest),
`products`, `assignments` (products in categories; other apps read these)."""
