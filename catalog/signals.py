"""Signals the catalog sends to the apps above it (which it cannot import).

`items_deleting` is sent inside the deleting transaction, before products or categories
are deleted, with `tenant` and `pks` (the rows about to go; for a category deletion the
whole subtree). Whatever references them and goes with them by cascade can record it.
"""

from __future__ import annotations

from django.dispatch import Signal

items_deleting = Signal()
