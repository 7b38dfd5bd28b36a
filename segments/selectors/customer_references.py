"""Customers named the way people paste them: by customer number (the public id) or by
email address, always within one tenant."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from ..models import Customer


def customers_by_reference(*, tenant: str, references: Iterable[str]) -> dict[str, list[str]]:
    """Reference -> the public ids of the tenant's customers it names: a customer number
    names its customer; otherwise an email address (compared without regard to case)
    names every customer with that address. A reference naming none is left out.

    One query on the (tenant, public id) and (tenant, email) indexes, for the addresses as
    given and in lower case; a second one, comparing the stored addresses in lower case
    (a scan of the tenant's customers), only for addresses the first did not find."""
    wanted = {reference for reference in references if reference}
    if not wanted:
        return {}
    emails = {reference.lower() for reference in wanted if "@" in reference}
    customers = Customer.objects.filter(tenant_id=tenant).order_by("public_id")
    rows = list(
        customers.filter(Q(public_id__in=wanted) | Q(email__in=emails | wanted)).values_list(
            "public_id", "email"
        )
    )
    missing = emails - {email.lower() for _, email in rows}
    if missing:
        rows += (
            customers.alias(address=Lower("email"))
            .filter(address__in=missing)
            .values_list("public_id", "email")
        )
    by_id: dict[str, list[str]] = {}
    by_email: dict[str, set[str]] = {}
    for public_id, email in rows:
        by_id[public_id] = [public_id]
        by_email.setdefault(email.lower(), set()).add(public_id)
    found: dict[str, list[str]] = {}
    for reference in wanted:
        named = by_id.get(reference) or sorted(by_email.get(reference.lower(), ()))
        if named:
            found[reference] = named
    return found
