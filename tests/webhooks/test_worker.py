"""Webhooks end to end with real `manage.py db_worker` processes and a real local receiver
verifying signatures with `standardwebhooks`: a committed write is delivered (the pump
queued by the scheduler's tick), a rolled-back one is not, a worker killed in the middle of
a delivery leaves it to the next worker, and two workers keep the order per resource."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from segments.services.segments import segment_create, segment_patch
from segments_project.events.models import Event
from webhooks.models import Delivery
from webhooks.services import triggers
from webhooks.tasks import webhooks_pump

from ..conftest import TENANT
from ..jobs.workers import REPO, WORKER_COMMAND, worker_environment
from .factories import make_subscription
from .receiver import Receiver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a worker process needs a database it can reach"
    ),
]

LOCAL = {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true"}


@pytest.fixture(autouse=True)
def _unthrottled(monkeypatch, local_delivery):
    monkeypatch.setattr(triggers, "_last_request", float("-inf"))


def _worker(**environment: str) -> subprocess.Popen:
    return subprocess.Popen(
        WORKER_COMMAND,
        cwd=REPO,
        env=worker_environment(**LOCAL, **environment),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_worker(**environment: str) -> None:
    worker = _worker(**environment)
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err


def _pump_jobs() -> int:
    return DBTaskResult.objects.filter(task_path="webhooks.tasks.webhooks_pump").count()


def test_a_committed_write_is_delivered_signed_by_a_worker(receivers):
    receiver = Receiver().start()
    receivers.append(receiver)
    _, secret = make_subscription(receiver.url, event_types=["segment.*"])
    receiver.secrets.append(secret)

    for number in range(3):
        segment_create(
            tenant=TENANT, document={"id": f"seg-{number}", "name": {"en": "S"}, "siteCode": "m"}
        )
    assert triggers.pump_request_if_waiting()  # the scheduler's tick finds the events
    assert not triggers.pump_request_if_waiting()  # one queued pump at a time

    _run_worker()

    received = receiver.wait_for(3)
    assert [r.json["type"] for r in received] == ["segment.created"] * 3
    assert all(r.verified for r in received)
    assert {r.headers["webhook-id"] for r in received} == {
        str(public_id) for public_id in Event.objects.values_list("public_id", flat=True)
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {"SUCCEEDED"}


def test_a_rolled_back_write_sends_nothing_and_queues_nothing(receivers):
    receiver = Receiver().start()
    receivers.append(receiver)
    make_subscription(receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        segment_create(tenant=TENANT, document={"id": "gone", "name": {"en": "G"}, "siteCode": "m"})
        raise RuntimeError("rolled back")

    assert not triggers.pump_request_if_waiting()
    assert _pump_jobs() == 0
    assert not Event.objects.exists()
    assert receiver.received == []


def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_worker(receivers):
    answering = threading.Event()
    first_arrived = threading.Event()

    def hang_first(number, body):
        if number == 1:
            first_arrived.set()
            answering.wait(60)  # never answers before the worker is dead
        return 200, 0.0

    receiver = Receiver(behaviour=hang_first).start()
    receivers.append(receiver)
    _, secret = make_subscription(receiver.url)
    receiver.secrets.append(secret)
    segment_create(tenant=TENANT, document={"id": "gold", "name": {"en": "G"}, "siteCode": "m"})
    claim = {"WEBHOOK_CLAIM_SECONDS": "3"}
    assert triggers.pump_request_if_waiting()

    worker = _worker(**claim)
    try:
        assert first_arrived.wait(60), worker.communicate(timeout=5)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=30)
    answering.set()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("PENDING", 0)
    assert delivery.claimed_until is not None  # the dead worker's claim, lapsing

    time.sleep(3.5)
    triggers.pump_request()
    _run_worker(**claim)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 1)
    received = receiver.wait_for(2)
    # At least once: the same message again, which the consumer de-duplicates by its id.
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
    assert all(r.verified for r in received)


def test_two_workers_deliver_in_parallel_without_breaking_the_order_per_resource(receivers):
    endpoints = []
    for _ in range(3):
        receiver = Receiver(behaviour=lambda n, body: (200, 0.005)).start()
        receivers.append(receiver)
        receiver.secrets.append(make_subscription(receiver.url)[1])
        endpoints.append(receiver)
    for number in range(4):
        segment_create(
            tenant=TENANT, document={"id": f"seg-{number}", "name": {"en": "S"}, "siteCode": "m"}
        )
    for round_ in range(5):
        for number in range(4):
            segment_patch(
                tenant=TENANT, segment_id=f"seg-{number}", patch={"siteCode": f"r{round_}"}
            )
    triggers.pump_request_if_waiting()
    webhooks_pump.enqueue()  # a second pump beside it

    workers = [_worker(), _worker()]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err

    assert Delivery.objects.filter(status="SUCCEEDED").count() == 3 * 4 * 6
    for receiver in endpoints:
        received = receiver.wait_for(4 * 6)
        assert all(r.verified for r in received)
        numbers: dict[str, list[int]] = {}
        for request in received:
            numbers.setdefault(request.json["resource"]["id"], []).append(
                request.json["sequenceNumber"]
            )
        assert all(sequence == sorted(sequence) for sequence in numbers.values()), numbers
        assert sorted(len(sequence) for sequence in numbers.values()) == [6, 6, 6, 6]
