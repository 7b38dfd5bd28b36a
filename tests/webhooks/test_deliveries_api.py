"""`/webhook/{tenant}/subscriptions/{id}/deliveries`, retry, replay and test event, with a
real receiver and the in-process pump."""

from __future__ import annotations

import pytest
from django.utils import timezone

from webhooks.models import Delivery, DeliveryStatus
from webhooks.services.delivery import deliveries_pump
from webhooks.services.dispatch import deliveries_dispatch

from ..conftest import TENANT
from .factories import make_events, make_subscription
from .receiver import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_delivery")]
BASE = f"/webhook/{TENANT}/subscriptions"


@pytest.fixture
def receiver(receivers) -> Receiver:
    started = Receiver(behaviour=lambda n, body: (500 if n == 1 else 200, 0)).start()
    receivers.append(started)
    return started


@pytest.fixture
def subscription(receiver):
    subscription, secret = make_subscription(receiver.url, id="crm")
    receiver.secrets.append(secret)
    return subscription


def test_the_log_shows_attempts_status_codes_latency_and_next_retry(
    webhook_manager, subscription, receiver
):
    make_events([("segment.created", "gold"), ("segment.created", "silver")])
    deliveries_pump(max_seconds=5)

    log = webhook_manager.get(f"{BASE}/crm/deliveries", headers={"X-Total-Count": "true"})

    assert log.status_code == 200 and log["X-Total-Count"] == "2"
    # Oldest first; the first sent (gold) got the 500.
    oldest, newest = log.json()
    assert (oldest["status"], oldest["attempts"], oldest["lastStatusCode"]) == ("PENDING", 1, 500)
    assert oldest["nextAttemptAt"] is not None and oldest["lastLatencyMs"] >= 0
    assert oldest["attemptLog"][0]["statusCode"] == 500
    assert (newest["status"], newest["lastStatusCode"], newest["nextAttemptAt"]) == (
        "SUCCEEDED",
        200,
        None,
    )
    assert oldest["resource"] == {"type": "segment", "id": "gold"}
    page = webhook_manager.get(f"{BASE}/crm/deliveries?pageSize=1&pageNumber=2").json()
    assert [item["id"] for item in page] == [newest["id"]]
    failed = webhook_manager.get(f"{BASE}/crm/deliveries?q=status:PENDING").json()
    assert [item["id"] for item in failed] == [oldest["id"]]


def test_the_log_reads_a_page_in_a_fixed_number_of_queries(
    webhook_manager, subscription, django_assert_num_queries
):
    make_events([("segment.created", f"s{i}") for i in range(30)])
    deliveries_dispatch()
    webhook_manager.get(f"{BASE}/crm/deliveries")  # warm the token lookup's caches

    # The token, the subscription, the page with its events.
    with django_assert_num_queries(3):
        assert len(webhook_manager.get(f"{BASE}/crm/deliveries").json()) == 30


def test_retry_sends_a_pending_delivery_now(webhook_manager, subscription, receiver):
    make_events([("segment.created", "gold")])
    deliveries_pump(max_seconds=5)
    pending = Delivery.objects.get()
    assert pending.next_attempt_at > timezone.now()

    retried = webhook_manager.post(f"{BASE}/crm/deliveries/{pending.public_id}/retry")
    deliveries_pump(max_seconds=5)

    assert retried.status_code == 202 and retried.json()["status"] == "PENDING"
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    unknown = webhook_manager.post(f"{BASE}/crm/deliveries/not-a-uuid/retry")
    assert unknown.status_code == 404


def test_replay_sends_the_range_again_in_order(webhook_manager, subscription, receiver):
    receiver.behaviour = lambda n, body: (200, 0)
    make_events([("segment.created", "gold"), ("segment.updated", "gold")])
    deliveries_pump(max_seconds=5)

    replayed = webhook_manager.post(
        f"{BASE}/crm/replay", {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    )
    deliveries_pump(max_seconds=5)

    assert replayed.status_code == 202 and replayed.json() == {"deliveries": 2}
    types = [request.json["type"] for request in receiver.received]
    assert types == ["segment.created", "segment.updated"] * 2
    ids = [request.headers["webhook-id"] for request in receiver.received]
    assert ids[:2] == ids[2:]  # the same messages: consumers de-duplicate by id
    bad = webhook_manager.post(f"{BASE}/crm/replay", {"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "from"


def test_the_test_event_is_signed_and_logged(webhook_manager, subscription, receiver):
    receiver.behaviour = lambda n, body: (200, 0)

    sent = webhook_manager.post(f"{BASE}/crm/test")
    deliveries_pump(max_seconds=5)

    assert sent.status_code == 202
    [request] = receiver.received
    assert request.verified and request.json["type"] == "webhook.test"
    assert request.headers["webhook-id"] == sent.json()["eventId"]
    [logged] = webhook_manager.get(f"{BASE}/crm/deliveries").json()
    assert (logged["eventType"], logged["status"]) == ("webhook.test", "SUCCEEDED")
