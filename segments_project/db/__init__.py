"""Generic database helpers (the ground layer: they know no app).

- `sql`: SQL fragments written once per database vendor (`one_of`, `row_lock`,
  `InComputedFirst`: an `IN` whose subquery PostgreSQL computes first);
- `copy`: the set-based writer of rows (COPY and staging merge on PostgreSQL,
  `bulk_create`/`bulk_update` elsewhere), parameterized by model.
"""
