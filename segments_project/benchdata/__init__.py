"""A realistic, seeded benchmark tenant, written with set-based inserts.

`manage.py generate_dataset` is the entry point; `generator.generate` does the work, one
small module per kind of data (`directory`, `catalog`, `segments`, `coupons`), all of it
through `tables.TableWriter` (COPY on PostgreSQL, multi-row inserts elsewhere).
"""
