"""A minimal HTTP client of the service for tests that talk to a real server: one
connection per request (a killed server leaves no stale keep-alive connection behind)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


class ServerUnreachable(Exception):
    """The request got no HTTP answer: refused, or cut off before the response.

    `cut_off` tells the second case: the server may have done the work or not.
    """

    def __init__(self, reason: BaseException, *, cut_off: bool) -> None:
        super().__init__(f"{type(reason).__name__}: {reason}")
        self.cut_off = cut_off


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")


class ApiClient:
    def __init__(self, port: int, token: str | None = None, *, timeout: float = 30) -> None:
        self.port = port
        self.token = token
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None
    ) -> Answer:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        payload: bytes | None = None
        if form is not None:
            payload = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        sent = False
        try:
            connection.request(method, path, body=payload, headers=headers)
            sent = True
            response = connection.getresponse()
            return Answer(
                status=response.status,
                headers={name.lower(): value for name, value in response.getheaders()},
                body=response.read(),
            )
        except (OSError, http.client.HTTPException) as exc:
            refused = isinstance(exc, ConnectionRefusedError) and not sent
            raise ServerUnreachable(exc, cut_off=not refused) from exc
        finally:
            connection.close()

    def expect(self, method: str, path: str, body: Any = None, *, status: int) -> Answer:
        answer = self.request(method, path, body)
        assert answer.status == status, (method, path, answer.status, answer.body[:500])
        return answer


def obtain_token(port: int, client_id: str, secret: str) -> str:
    answer = ApiClient(port).request(
        "POST",
        "/oauth/token",
        form={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert answer.status == 200, answer.body
    return answer.json()["access_token"]
