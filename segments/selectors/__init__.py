"""Reads of the segments app, always scoped to one tenant: `segments`, `membership` (the
one membership rule, also as ready SQL), `items` and `members` (a segment's assignments),
`member_directory` (the customers, legal entities and links a members write names, locked
as sets), `directory` (customers and legal entities), and the storefront's reads:
`storefront_scope` (whose view), `storefront_trees` (the segment-filtered category forest)
and `storefront_match` (which products segments give). coupons reads `membership` and
`storefront_match`."""
