"""The webhook admin: subscriptions with their health, created through the service (the
secret shown once), the actions send test event, replay since, rotate secret; the delivery
log with its excerpts and the retry action; all within the staff user's tenants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from segments_project.tenancy.models import Tenant
from tests.webhooks.factories import make_events, make_subscription
from webhooks.models import Delivery, DeliveryStatus, Subscription
from webhooks.services.dispatch import deliveries_dispatch

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = reverse("admin:webhooks_subscription_changelist")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")
HOOK = "https://hooks.example.com/x"


@pytest.fixture
def operator(make_staff, login) -> Client:
    """Staff of acme with the webhook permissions."""
    user = make_staff("hooks")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    return login(user)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_list_shows_health_and_backlog_of_the_users_tenants_only(operator):
    failing, _ = make_subscription(HOOK, id="crm")
    make_subscription(HOOK, id="search")
    make_subscription(HOOK, id="theirs", tenant=OTHER_TENANT)
    make_events([("segment.created", "gold"), ("segment.created", "silver")])
    deliveries_dispatch()
    Subscription.objects.filter(pk=failing.pk).update(
        failing_since=timezone.now() - timedelta(hours=1)
    )

    page = operator.get(SUBSCRIPTIONS)

    assert page.status_code == 200
    rows = {row.public_id: row for row in page.context["cl"].result_list}
    assert set(rows) == {"crm", "search"}
    assert rows["crm"].backlog == 2
    text = page.content.decode()
    assert "failing since" in text and "theirs" not in text


def test_adding_a_subscription_goes_through_the_service_and_shows_the_secret_once(operator):
    response = operator.post(
        reverse("admin:webhooks_subscription_add"),
        {
            "tenant": TENANT,
            "public_id": "crm",
            "url": HOOK,
            "event_types": "segment.member.*\ncoupon.redeemed",
            "active": "on",
            "description": "",
        },
        follow=True,
    )

    subscription = Subscription.objects.get(public_id="crm")
    assert subscription.event_types == ["segment.member.*", "coupon.redeemed"]
    assert subscription.secret.startswith("whsec_")
    assert any(subscription.secret in message for message in _messages(response))


def test_the_form_refuses_what_the_api_refuses(operator):
    response = operator.post(
        reverse("admin:webhooks_subscription_add"),
        {"tenant": TENANT, "public_id": "crm", "url": "http://hooks.example.com/x",
         "event_types": "segment.bogus", "active": "on"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


def test_actions_send_a_test_event_replay_and_rotate(operator):
    subscription, old_secret = make_subscription(HOOK, id="crm")
    make_events([("segment.created", "gold")])
    deliveries_dispatch()
    selected = {"_selected_action": [subscription.pk]}

    operator.post(SUBSCRIPTIONS, {**selected, "action": "send_test_event"})
    operator.post(
        SUBSCRIPTIONS,
        {**selected, "action": "replay_since", "since": "2000-01-01 00:00"},
    )
    rotated = operator.post(SUBSCRIPTIONS, {**selected, "action": "rotate_secret"}, follow=True)

    types = sorted(
        (d.test_payload or {}).get("type") or d.event.type
        for d in Delivery.objects.select_related("event")
    )
    assert types == ["segment.created", "segment.created", "webhook.test"]
    subscription.refresh_from_db()
    assert subscription.previous_secret == old_secret
    assert any(subscription.secret in message for message in _messages(rotated))


def test_the_delivery_log_shows_excerpts_and_retries(operator):
    make_subscription(HOOK, id="crm")
    make_events([("segment.created", "gold")])
    deliveries_dispatch()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=30,
        last_status_code=503,
        request_excerpt='{"type":"segment.created"}',
        response_excerpt="upstream down",
    )

    detail = operator.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    retried = operator.post(
        DELIVERIES, {"_selected_action": [delivery.pk], "action": "retry"}, follow=True
    )

    assert detail.status_code == 200
    text = detail.content.decode()
    assert "upstream down" in text and "segment.created" in text
    assert retried.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_another_tenants_deliveries_are_not_listed(operator):
    make_subscription(HOOK, id="theirs", tenant=OTHER_TENANT)
    make_events([("segment.created", "gold")], tenant=OTHER_TENANT)
    deliveries_dispatch()

    page = operator.get(DELIVERIES)

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == []
