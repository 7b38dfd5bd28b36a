"""Evaluating a segment's rule over all the tenant's customers: its AUTOMATIC members
become exactly what the rule selects now (minus exclusions and MANUAL members)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ..models import Customer, Segment
from ..selectors.criteria import criteria_pairs
from .automatic_members import Applied, automatic_members_apply
from .members import members_segment_lock


@transaction.atomic
def segment_rule_apply(
    *, tenant: str, segment_id: str, now: datetime | None = None, source: str = "criteria"
) -> Applied:
    """Brings the segment's AUTOMATIC members in line with its rule, set-based (two
    statements whatever the number of customers); a segment without a rule loses its
    AUTOMATIC members. The rule is read under the segment's member lock, so a rule
    changed meanwhile is either seen whole or evaluated again by the job its change
    enqueued. 404 for an unknown segment."""
    locked = members_segment_lock(tenant=tenant, segment_id=segment_id)
    criteria = Segment.objects.filter(pk=locked.pk).values_list("criteria", flat=True).get()
    matched = (
        criteria_pairs(tenant=tenant, criteria=criteria, now=now)
        if criteria
        else Customer.objects.none().values_list("pk", "pk")
    )
    return automatic_members_apply(
        tenant=tenant, segment_id=segment_id, matched=matched, source=source
    )
