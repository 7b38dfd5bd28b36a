"""Bulk imports and exports of a tenant's data from the command line (`import_data`,
`export_data`).

A cross-cutting tool: unlike the apps, which depend one way (tenancy <- catalog <-
segments <- coupons), this package imports both catalog and segments, because one
command moves every kind of data. The rules stay with the apps: every row is validated
by the same document functions the API uses (`product_values`, `segment_values`,
`member_key`, ...), so a row the API would refuse is refused here with the same message.

- `formats`: CSV / JSON Lines readers and writers (gzip, stdin/stdout), read lazily.
- `importers`: the table of kinds and the chunked, set-based upsert they share.
- `exporters`: streaming exports in the same formats, which import back unchanged.
- `progress`, `report`: what the user sees while and after a command runs.
"""
