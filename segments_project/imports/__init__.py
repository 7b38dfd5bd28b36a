"""The generic import engine behind `import_data` and `export_data`: bulk imports and
exports of a tenant's data from the command line (and the admin's import jobs).

It knows no model. Each app owns the kinds of its data (`catalog.importers`,
`catalog.exporters`, `segments.importers`, `segments.exporters`) and registers them in
`kinds` from its `AppConfig.ready()`. The rules stay with the apps: every row is
validated by the same document functions the API uses (`product_values`,
`segment_values`, `member_key`, ...), so a row the API would refuse is refused here with
the same message.

- `formats`: the CSV / JSON Lines formats and each kind's `Layout` of columns.
- `readers`, `writers`: reading (lazily) and writing those files (gzip, stdin/stdout).
- `chunks`: the chunked, set-based loop every importer shares (`Importer`).
- `documents`: the import of versioned documents by id, written by the owning app's
  set-based upsert service (`products_upsert_many`, ...).
- `audit`: what the audit trail says of an assignment import.
- `exporters`: streaming exports in the same formats, which import back unchanged.
- `kinds`: the registries of importers and exporters by kind.
- `progress`, `report`: what the user sees while and after a command runs.
"""
