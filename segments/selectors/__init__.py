"""Reads of the segments app, always scoped to one tenant: `segments`, `membership` (the
one membership rule, also as ready SQL) and `storefront_match` (which products segments
give); coupons reads these."""
