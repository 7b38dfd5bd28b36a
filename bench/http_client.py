"""A small blocking HTTP client (standard library), one connection per thread, and a bounded
thread pool that runs a list of requests and times each. It accepts gzip, as storefronts
do, and keeps the bytes as sent (decompressed only when an answer is read as JSON)."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.common import percentiles


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    token: str | None = None
    body: Any = None
    form: dict[str, str] | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    # As sent: gzip-compressed when `content_encoding` says so.
    body: bytes
    ms: float
    content_encoding: str | None = None

    @property
    def content(self) -> bytes:
        """The body decompressed."""
        return gzip.decompress(self.body) if self.content_encoding == "gzip" else self.body

    def json(self) -> Any:
        return json.loads(self.content)


class Client:
    """Keeps one connection per thread (the server may close it after each answer)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def send(self, call: Call) -> Answer:
        headers = {
            "Accept": "application/json",
            "Accept-Language": "en",
            "Accept-Encoding": "gzip",
        }
        if call.token:
            headers["Authorization"] = f"Bearer {call.token}"
        payload = None
        if call.form is not None:
            payload = urlencode(call.form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif call.body is not None:
            payload = json.dumps(call.body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connection()
            started = time.perf_counter()
            try:
                conn.request(call.method, call.path, body=payload, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
            encoding = (response.getheader("Content-Encoding") or "").lower() or None
            return Answer(response.status, body, elapsed, encoding)
        raise AssertionError("unreachable")


def run_calls(client: Client, calls: list[Call], concurrency: int) -> dict[str, Any]:
    """Sends every call once with `concurrency` threads; latency and throughput."""
    answers: list[Answer] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        answers = list(pool.map(client.send, calls))
    seconds = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for answer in answers:
        statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1
    return {
        "requests": len(answers),
        "seconds": round(seconds, 3),
        "rps": round(len(answers) / seconds, 1) if seconds else 0.0,
        "latency": percentiles([answer.ms for answer in answers]),
        "statuses": statuses,
        "answers": answers,
    }
