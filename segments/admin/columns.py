"""List columns the segments admins share: correlated counts and links to change pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html


def count_of(model: Any, field: str) -> Coalesce:
    """A correlated COUNT of the model's rows pointing at the outer row: one subquery in the
    list query, no join that would multiply rows. `COUNT(*)`, not of the primary key, so
    that the count reads the foreign key's index alone (an index-only scan): counting the
    keys read a heap page per row, 0.16 s for the 40,000 members of a page at L."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Count("*"))
        .values("total")
    )
    return Coalesce(Subquery(counted), 0)


def admin_link(obj: Any, text: str) -> str:
    """A link to the object's change page."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text)
