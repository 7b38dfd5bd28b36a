"""The admin shows moments in the time zone of the tenants the user works in."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from .admin_scoping import granted_tenant_names
from .models import Tenant


def admin_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    """The one time zone of the user's tenants (every tenant's, for a superuser); None
    when they have none or several (the admin then stays in UTC, and every moment it shows
    names its zone). One query."""
    names = granted_tenant_names(request)
    tenants = Tenant.objects.all() if names is None else Tenant.objects.filter(name__in=names)
    zones = list(tenants.order_by().values_list("time_zone", flat=True).distinct()[:2])
    if len(zones) != 1:
        return None
    try:
        return zoneinfo.ZoneInfo(zones[0])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class AdminTimeZoneMiddleware:
    """Activates the tenant's time zone for the admin pages of a staff user (after the
    authentication middleware); everything else (the API) stays in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: reading `request.user` loads the session's user.
        user = getattr(request, "user", None)
        if (
            request.path.startswith(reverse("admin:index"))
            and user is not None
            and user.is_authenticated
            and user.is_staff
        ):
            zone = admin_time_zone(request)
            if zone is not None:
                with timezone.override(zone):
                    return self.get_response(request)
        return self.get_response(request)
