"""The whole server (gunicorn master and workers) killed with SIGKILL while several clients
send bulk writes: nothing is half-applied, and every success a client was told of is true.

Four writers (two of customer assignments, two of item assignments) each own a segment and
three chunks of 40 elements, and write round after round: round r sets every element's
`mixins.round` to r. Each round changes the element, so an element that went through
rounds 1..r has version r; a bulk request is one transaction, so the elements of one chunk
always share one version. After the kill the database must show, per chunk: every element
with the same version, equal to its `mixins.round`, and that version is the last round the
client saw a 207 for, or the round whose request was cut off (committed, answer lost). The
clients then resend the cut-off round to the restarted server (an idempotent PUT) and finish.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from .conftest import CLIENT_SECRET, FaultDatabase
from .gunicorn_server import GunicornServer
from .http_api import ApiClient, ServerUnreachable, obtain_token
from .seeding import seed
from .throwaway_postgres import free_port

pytestmark = pytest.mark.slow

TENANT = "faultkill"
ROUNDS = 15
CHUNKS_PER_WRITER = 3
CHUNK_SIZE = 40
# The kill comes once this share of all requests has been answered.
KILL_AFTER_SHARE = 0.35
# How long a writer waits for the server to come back before giving up.
OUTAGE_LIMIT_SECONDS = 60


@dataclass(frozen=True)
class Chunk:
    """The elements of one bulk request, rewritten every round."""

    segment_id: str
    kind: str  # "customers" or "items"
    number: int
    element_ids: tuple[str, ...]

    @property
    def path(self) -> str:
        bulk = "customers/bulk" if self.kind == "customers" else "items/PRODUCT/bulk"
        return f"/customer-segment/{TENANT}/segments/{self.segment_id}/{bulk}"

    def body(self, round_: int) -> list[dict[str, Any]]:
        key = "customerId" if self.kind == "customers" else "id"
        return [{key: element, "mixins": {"round": round_}} for element in self.element_ids]


@dataclass
class WriterLog:
    """What one writer was told. `in_flight` holds the round of a request whose answer is
    outstanding or was lost; `acknowledged` the last round answered with an all-success 207."""

    acknowledged: dict[int, int] = field(default_factory=dict)
    in_flight: dict[int, int] = field(default_factory=dict)
    requests_answered: int = 0
    requests_cut_off: int = 0
    problems: list[str] = field(default_factory=list)


class BulkWriter(threading.Thread):
    def __init__(self, api: ApiClient, chunks: list[Chunk], serving: threading.Event) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.chunks = chunks
        self.serving = serving
        self.log = WriterLog()
        self.lock = threading.Lock()

    def run(self) -> None:
        for round_ in range(1, ROUNDS + 1):
            for chunk in self.chunks:
                if not self._write(chunk, round_):
                    return

    def _write(self, chunk: Chunk, round_: int) -> bool:
        """Sends the round until it is answered; resends after a lost answer."""
        while True:
            if not self.serving.wait(OUTAGE_LIMIT_SECONDS):
                self.log.problems.append("the server did not come back")
                return False
            with self.lock:
                self.log.in_flight[chunk.number] = round_
            try:
                answer = self.api.request("PUT", chunk.path, chunk.body(round_))
            except ServerUnreachable as exc:
                with self.lock:
                    self.log.requests_cut_off += exc.cut_off
                time.sleep(0.1)
                continue
            entries = answer.json() if answer.status == 207 else []
            if answer.status != 207 or any(entry["code"] not in (201, 204) for entry in entries):
                self.log.problems.append(f"{chunk.path} round {round_}: {answer.body[:300]!r}")
                return False
            with self.lock:
                self.log.acknowledged[chunk.number] = round_
                del self.log.in_flight[chunk.number]
                self.log.requests_answered += 1
            return True


def _chunks(writer: int) -> list[Chunk]:
    kind = "customers" if writer % 2 == 0 else "items"
    prefix = "cust" if kind == "customers" else "prod"
    return [
        Chunk(
            segment_id=f"seg-{writer}",
            kind=kind,
            number=number,
            element_ids=tuple(f"{prefix}-{writer}-{number}-{index}" for index in range(CHUNK_SIZE)),
        )
        for number in range(CHUNKS_PER_WRITER)
    ]


def _stored_rounds(api: ApiClient, segment_id: str, kind: str) -> dict[str, tuple[int, Any]]:
    """Element id -> (version, mixins.round) of the segment's assignments, read via the API."""
    base = f"/customer-segment/{TENANT}/segments/{segment_id}"
    answer = api.expect("GET", f"{base}/{kind}?pageSize=1000", status=200)
    member = "customer" if kind == "customers" else "item"
    return {
        document[member]["id"]: (
            document["metadata"]["version"],
            document.get("mixins", {}).get("round"),
        )
        for document in answer.json()
    }


def _check_chunks(api: ApiClient, writers: list[BulkWriter]) -> int:
    """Asserts every chunk is whole and agrees with what its writer was told; returns how
    many chunks hold a round whose answer was lost (committed, never acknowledged)."""
    lost_answers = 0
    for writer in writers:
        stored = _stored_rounds(api, writer.chunks[0].segment_id, writer.chunks[0].kind)
        for chunk in writer.chunks:
            states = {stored.get(element, (0, None)) for element in chunk.element_ids}
            assert len(states) == 1, f"{chunk.path}: half-applied, versions/rounds {states}"
            ((version, round_),) = states
            assert version in (0, round_), f"{chunk.path}: version {version}, round {round_}"
            acknowledged = writer.log.acknowledged.get(chunk.number, 0)
            possible = {acknowledged, writer.log.in_flight.get(chunk.number, acknowledged)}
            assert version in possible, (
                f"{chunk.path}: stored round {version}, acknowledged {acknowledged}, "
                f"in flight {writer.log.in_flight.get(chunk.number)}"
            )
            lost_answers += version != acknowledged
    return lost_answers


def test_a_server_killed_mid_write_leaves_whole_bulk_elements_and_true_answers(
    fault_database: FaultDatabase, tmp_path
):
    client_id = fault_database.register_client(TENANT)
    server = GunicornServer(
        database_url=fault_database.url, port=free_port(), log_path=tmp_path / "gunicorn.log"
    )
    server.start()
    try:
        api = ApiClient(server.port, obtain_token(server.port, client_id, CLIENT_SECRET))
        plans = [_chunks(writer) for writer in range(4)]
        chunks = [chunk for plan in plans for chunk in plan]
        seed(
            api,
            TENANT,
            segment_ids=[plan[0].segment_id for plan in plans],
            customer_ids=[id_ for c in chunks if c.kind == "customers" for id_ in c.element_ids],
            product_ids=[id_ for c in chunks if c.kind == "items" for id_ in c.element_ids],
        )
        serving = threading.Event()
        serving.set()
        writers = [BulkWriter(api, plan, serving) for plan in plans]
        total_requests = len(writers) * CHUNKS_PER_WRITER * ROUNDS

        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while sum(w.log.requests_answered for w in writers) < KILL_AFTER_SHARE * total_requests:
            assert time.monotonic() < deadline, "the writers are too slow"
            assert not any(w.log.problems for w in writers), [w.log.problems for w in writers]
            time.sleep(0.02)
        serving.clear()  # writers that lose their request wait instead of retrying
        server.kill()
        answered_before_kill = sum(w.log.requests_answered for w in writers)

        server.start()
        lost_answers = _check_chunks(api, writers)
        assert sum(w.log.requests_cut_off for w in writers) >= 1, "the kill cut off no request"

        serving.set()
        for writer in writers:
            writer.join(timeout=120)
        assert not any(w.is_alive() for w in writers)
        assert not any(w.log.problems for w in writers), [w.log.problems for w in writers]
        assert _check_chunks(api, writers) == 0
        assert all(
            round_ == ROUNDS for writer in writers for round_ in writer.log.acknowledged.values()
        )
        print(
            f"killed after {answered_before_kill}/{total_requests} bulk requests; "
            f"{sum(w.log.requests_cut_off for w in writers)} requests cut off, "
            f"{fault_database.cluster.transactions_cut_off()} in an open transaction, "
            f"{lost_answers} committed with the answer lost"
        )
    finally:
        server.stop()
