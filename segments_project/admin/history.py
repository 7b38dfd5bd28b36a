"""One history per object: the audit trail. The History link of an audited object opens
its audit trail, and its page shows the latest changes read from the trail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import display_for_value, unquote
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from segments_project.audit.admin import readable_changes
from segments_project.audit.models import AuditEvent

# The changes listed on the object's own page; the rest are a link away.
LATEST_CHANGES = 10


def audit_trail_query(document_type: str, obj: Any) -> dict[str, str]:
    return {
        "tenant": obj.tenant_id,
        "document_type__exact": document_type,
        "document_id": obj.public_id,
    }


def may_read_audit(request: HttpRequest) -> bool:
    return request.user.has_perm("audit.view_auditevent")


class AuditHistoryAdminMixin:
    """For a ModelAdmin of an audited document (`audit_document_type`): History opens the
    document's audit trail (for users who may read it), and `latest_changes` lists its
    latest audit events on the change page."""

    audit_document_type: str = ""

    def audit_trail_url(self, obj: Any) -> str | None:
        try:
            url = reverse("admin:audit_auditevent_changelist")
        except NoReverseMatch:
            return None
        return f"{url}?{urlencode(self.audit_trail_params(obj))}"

    def audit_trail_params(self, obj: Any) -> dict[str, str]:
        return audit_trail_query(self.audit_document_type, obj)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        url = self.audit_trail_url(obj) if obj is not None and may_read_audit(request) else None
        if url is None:
            return super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        return HttpResponseRedirect(url)

    def history_fieldset(self, request: HttpRequest, obj: Any) -> list[Any]:
        """The "History" fieldset of a stored object, for users who may read the trail."""
        if obj is None or not may_read_audit(request):
            return []
        return [("History", {"fields": ["latest_changes"]})]

    @admin.display(description="Latest changes")
    def latest_changes(self, obj: Any) -> str:
        events = list(
            AuditEvent.objects.filter(
                tenant_id=obj.tenant_id,
                document_type=self.audit_document_type,
                document_id=obj.public_id,
            ).order_by("-occurred_at", "-id")[:LATEST_CHANGES]
        )
        if not events:
            return "No recorded changes."
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td>{}</td><td class="field-diff">{}</td></tr>',
            (
                (
                    display_for_value(event.occurred_at, ""),
                    f"{event.get_actor_kind_display()} {event.actor}".strip(),
                    event.get_action_display(),
                    readable_changes(event),
                )
                for event in events
            ),
        )
        return format_html(
            '<table class="seg-table" id="latest-changes"><thead><tr><th>When</th><th>Who</th>'
            "<th>What</th><th>Changes</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">The whole history</a></p>',
            rows,
            self.audit_trail_url(obj) or "",
        )
