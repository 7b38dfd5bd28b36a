"""Writes of the segments app, keyword-only with `tenant=`: the API and the admin come
through here. `segments`, `items` and `members` (with `member_rows`, the set-based row
writes, and `member_audit`, what the trail says of them), `directory` (customers, legal
entities and their links), `audit_cascades` (entries for rows that database cascades take)
and `storefront_cache` (the storefront's cached answers)."""
