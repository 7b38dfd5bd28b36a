"""The one way the admin writes a moment: in the time zone of the request (the tenant's,
activated by `segments_project.tenancy.admin_scoping.TenantTimeZoneMiddleware`), in the
format of `segments_project/formats/en/formats.py`, which Django's own displays (read-only
fields, lists, the date drill-down) use too."""

from __future__ import annotations

from datetime import datetime

from django.utils.formats import date_format
from django.utils.timezone import localtime


def admin_datetime(moment: datetime | None) -> str:
    """E.g. "2026-12-03 19:05 CET"; "" for no moment."""
    return date_format(localtime(moment), "DATETIME_FORMAT") if moment else ""
