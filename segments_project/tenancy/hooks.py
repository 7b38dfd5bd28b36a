"""What tenancy needs from the apps above it (which it cannot import).

`CUSTOMER_CHECK(tenant, customer_id, legal_entity_id or None)`: why a customer token may
not be issued for this subject (an error message), or None when it may. The app that owns
the customer directory provides it; without a provider, no customer token is issued.
"""

from __future__ import annotations

from segments_project.registry import Slot

CUSTOMER_CHECK: Slot[[str, str, str | None], str | None] = Slot(
    "tenancy.customer_check", provided_by=("segments",)
)
