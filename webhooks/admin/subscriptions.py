"""Admin of webhook subscriptions: the form is checked by the API's document function and
written through the subscription services; the list shows each one's health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from segments_project.admin import ServiceWriteAdmin, api_error_on_form
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin, require_tenant

from .. import services
from ..documents.subscriptions import subscription_values
from ..models import Subscription
from ..selectors.subscriptions import subscriptions_with_health

# Where an API error's field shows on the form.
ERROR_FIELDS = {"url": "url", "eventTypes": "event_types", "description": "description"}


def _document(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": cleaned.get("url"),
        "eventTypes": cleaned.get("event_types") or [],
        "active": cleaned.get("active", True),
        "description": cleaned.get("description") or "",
    }


class EventTypesField(forms.CharField):
    """Event types or patterns, one per line or comma-separated."""

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2048, assume_scheme="https")
    event_types = EventTypesField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: segment.member.added, segment.member.*, or * for all.",
    )

    class Meta:
        model = Subscription
        fields = ["tenant", "public_id", "url", "event_types", "active", "description"]
        labels = {"public_id": "Id"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            subscription_values(_document(cleaned))
        except ApplicationError as exc:
            api_error_on_form(self, exc, ERROR_FIELDS)
        return cleaned


class ReplayActionForm(ActionForm):
    since = forms.DateTimeField(
        required=False,
        help_text="Replay since (for “Replay since”; default: 24 hours ago).",
        widget=forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"}),
    )


@admin.register(Subscription)
class SubscriptionAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    form = SubscriptionForm
    action_form = ReplayActionForm
    list_display = ["public_id", "url", "active", "health", "last_success_at", "backlog"]
    list_filter = ["active"]
    search_fields = ["public_id", "url", "description"]
    ordering = ["tenant_id", "public_id"]
    actions = ["send_test_event", "replay_since", "rotate_secret"]
    readonly_fields = ["last_success_at", "failing_since", "version"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        scoped = super().get_queryset(request)
        return subscriptions_with_health().filter(pk__in=scoped.values("pk"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    @admin.display(description="health")
    def health(self, subscription: Subscription) -> str:
        if subscription.failing_since is not None:
            return format_html(
                '<strong style="color:#ba2121">failing since {}</strong>',
                timezone.localtime(subscription.failing_since).strftime("%Y-%m-%d %H:%M"),
            )
        return "ok" if subscription.active else "off"

    @admin.display(description="backlog", ordering="backlog")
    def backlog(self, subscription: Subscription) -> int:
        return subscription.backlog

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        require_tenant(request, obj.tenant_id)
        document = _document(form.cleaned_data)
        try:
            if change:
                services.subscription_upsert(
                    tenant=obj.tenant_id, subscription_id=obj.public_id, document=document
                )
                return
            created, secret = services.subscription_create(
                tenant=obj.tenant_id, document={**document, "id": obj.public_id or None}
            )
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return
        obj.pk = created.pk
        self.message_user(
            request,
            f"The signing secret of {created.public_id}, shown this once: {secret}",
            level=messages.WARNING,
        )

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        require_tenant(request, obj.tenant_id)
        services.subscription_delete(tenant=obj.tenant_id, subscription_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            self.delete_model(request, subscription)

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            require_tenant(request, subscription.tenant_id)
            services.subscription_test_send(
                tenant=subscription.tenant_id, subscription_id=subscription.public_id
            )
        self.message_user(request, f"Test events queued for {queryset.count()} subscription(s).")

    @admin.action(description="Replay since (the date beside the action)", permissions=["change"])
    def replay_since(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        form = ReplayActionForm(request.POST)
        since = form.cleaned_data.get("since") if form.is_valid() else None
        since = since or timezone.now() - timedelta(hours=24)
        total = 0
        for subscription in queryset:
            require_tenant(request, subscription.tenant_id)
            try:
                total += services.deliveries_replay(
                    tenant=subscription.tenant_id,
                    subscription_id=subscription.public_id,
                    start=since,
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return
        self.message_user(
            request, f"{total} deliveries queued (events since {since:%Y-%m-%d %H:%M})."
        )

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            require_tenant(request, subscription.tenant_id)
            _, secret = services.subscription_rotate_secret(
                tenant=subscription.tenant_id, subscription_id=subscription.public_id
            )
            self.message_user(
                request,
                f"New secret of {subscription.public_id}, shown this once (the old one signs "
                f"too for 24 hours): {secret}",
                level=messages.WARNING,
            )
