"""PostgreSQL stopped and started again under load (a maintenance restart): while it is
down every request gets a 503 JSON answer with Retry-After (never a 500 or a dropped
connection), and once it is back the same gunicorn workers answer again within seconds,
with no restart of the service.

Runs on a throwaway cluster (`throwaway_postgres.py`): the machine's shared PostgreSQL is
never stopped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from .conftest import CLIENT_SECRET, FaultDatabase
from .gunicorn_server import GunicornServer
from .http_api import Answer, ApiClient, ServerUnreachable, obtain_token
from .seeding import seed
from .throwaway_postgres import free_port

pytestmark = pytest.mark.slow

TENANT = "faultpg"
SEGMENT = "seg-restart"
CUSTOMERS = [f"cust-restart-{number}" for number in range(20)]
UNAVAILABLE = {
    "code": 503,
    "status": "Service Unavailable",
    "message": "The service is temporarily unavailable.",
}
SUCCESS = {"read": 200, "write": 207, "token": 200}
# How long the database stays down at least, and how many requests of each kind must
# have been answered meanwhile.
DOWN_SECONDS = 2
DOWN_SAMPLES = 5
RECOVERY_LIMIT_SECONDS = 10


@dataclass(frozen=True)
class Observation:
    kind: str
    started: float
    finished: float
    answer: Answer | None  # None: no HTTP answer at all


class LoadSender(threading.Thread):
    """Sends one kind of request over and over until told to stop, noting every answer."""

    def __init__(self, kind: str, port: int, token: str, client_id: str) -> None:
        super().__init__(daemon=True)
        self.kind = kind
        self.api = ApiClient(port, token, timeout=15)
        self.client_id = client_id
        self.halt = threading.Event()
        self.observations: list[Observation] = []

    def _send(self, count: int) -> Answer:
        if self.kind == "read":
            return self.api.request("GET", f"/customer-segment/{TENANT}/segments")
        if self.kind == "write":
            path = f"/customer-segment/{TENANT}/segments/{SEGMENT}/customers/bulk"
            body = [{"customerId": customer, "mixins": {"n": count}} for customer in CUSTOMERS]
            return self.api.request("PUT", path, body)
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": CLIENT_SECRET,
        }
        return self.api.request("POST", "/oauth/token", form=form)

    def run(self) -> None:
        count = 0
        while not self.halt.is_set():
            count += 1
            started = time.monotonic()
            try:
                answer: Answer | None = self._send(count)
            except ServerUnreachable:
                answer = None
            self.observations.append(Observation(self.kind, started, time.monotonic(), answer))
            time.sleep(0.02)

    def between(self, start: float, end: float = float("inf")) -> list[Observation]:
        """The requests sent and answered within the interval."""
        return [seen for seen in self.observations if start <= seen.started <= seen.finished <= end]

    def succeeded_since(self, start: float) -> bool:
        return any(
            seen.answer is not None and seen.answer.status == SUCCESS[self.kind]
            for seen in self.between(start)
        )


def _wait_for(condition, timeout: float, message: str) -> float:
    """Polls until `condition()` holds; returns the seconds it took."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, message
        time.sleep(0.05)
    return time.monotonic() - began


def _assert_unavailable(seen: Observation) -> None:
    answer = seen.answer
    assert answer is not None, f"{seen.kind}: no HTTP answer while the database was down"
    assert answer.status == 503, (seen.kind, answer.status, answer.body[:500])
    assert answer.is_json and answer.json() == UNAVAILABLE, answer.body[:500]
    assert answer.headers.get("retry-after") == "5"


def test_the_service_answers_503_while_postgres_is_down_and_recovers_by_itself(
    fault_database: FaultDatabase, tmp_path
):
    client_id = fault_database.register_client(TENANT)
    cluster = fault_database.cluster
    server = GunicornServer(
        database_url=fault_database.url,
        port=free_port(),
        log_path=tmp_path / "gunicorn.log",
        conn_max_age=60,  # persistent connections: the ones PostgreSQL's stop breaks
    )
    server.start()
    senders: list[LoadSender] = []
    try:
        token = obtain_token(server.port, client_id, CLIENT_SECRET)
        seed(ApiClient(server.port, token), TENANT, segment_ids=[SEGMENT], customer_ids=CUSTOMERS)
        senders = [LoadSender(kind, server.port, token, client_id) for kind in SUCCESS]
        for sender in senders:
            sender.start()
        _wait_for(lambda: all(len(c.observations) >= 5 for c in senders), 30, "no load")
        workers = server.worker_pids()

        cluster.stop(mode="fast")
        down_since = time.monotonic()
        _wait_for(
            lambda: (
                time.monotonic() - down_since >= DOWN_SECONDS
                and all(len(sender.between(down_since)) >= DOWN_SAMPLES for sender in senders)
            ),
            30,
            "too few requests answered while the database was down",
        )
        down_until = time.monotonic()
        cluster.start()
        up_since = time.monotonic()

        recovery = _wait_for(
            lambda: all(sender.succeeded_since(up_since) for sender in senders),
            RECOVERY_LIMIT_SECONDS,
            f"not answering again {RECOVERY_LIMIT_SECONDS} s after PostgreSQL came back",
        )
        recovered_at = time.monotonic()
        time.sleep(1.5)
        for sender in senders:
            sender.halt.set()
            sender.join(timeout=30)

        for sender in senders:
            for seen in sender.between(down_since, down_until):
                _assert_unavailable(seen)
            for seen in sender.observations:
                assert seen.answer is not None, f"{sender.kind}: a request got no HTTP answer"
                if seen.answer.status >= 500:
                    _assert_unavailable(seen)
            for seen in sender.between(recovered_at):
                assert seen.answer is not None
                assert seen.answer.status == SUCCESS[sender.kind], seen.answer.body[:500]
        assert server.process is not None and server.process.poll() is None
        assert server.worker_pids() == workers, "gunicorn replaced workers"
        print(
            f"down {down_until - down_since:.1f} s: "
            f"{sum(len(c.between(down_since, down_until)) for c in senders)} requests, all 503; "
            f"answering again {recovery:.2f} s after PostgreSQL accepted connections"
        )
    finally:
        for sender in senders:
            sender.halt.set()
        server.stop()
        if not cluster.running:
            cluster.start()  # for the session's other fault tests
