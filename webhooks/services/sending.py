"""The HTTP side of a delivery: one signed POST to the subscription's URL, SSRF-safe.

* Only the URL's own host is contacted: its name is resolved here, every address checked,
  and the connection made to the checked address (the TLS name and `Host` stay the URL's
  host), so a DNS answer that changes between the check and the connect changes nothing.
* Private, loopback, link-local, multicast and reserved addresses (anything that is not
  globally routable) are refused unless `WEBHOOK_ALLOW_PRIVATE_ADDRESSES` is on.
* Connect and read timeouts, no redirects followed (a 3xx is a failed attempt), no
  retries inside an attempt, and at most `WEBHOOK_MAX_RESPONSE_BYTES` of the answer read
  (uncompressed: `Accept-Encoding: identity`, and the body is not decoded).

urllib3 (already the transport of `requests`) gives keep-alive pools per address, which
the throughput of one worker depends on; it needs no event loop in the `db_worker`.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError

USER_AGENT = "customer-segment-service-webhooks/1"
DNS_CACHE_SECONDS = 30.0


class AddressRefused(Exception):
    """The URL's host resolves to an address deliveries may not reach (SSRF protection)."""


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: a status code (None when no answer came), the time it took,
    an error text for failures, and the start of the answer's body."""

    status_code: int | None
    latency_ms: int
    error: str = ""
    response_excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def address_allowed(address: str, *, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return not ip.is_unspecified and not ip.is_multicast
    return ip.is_global and not ip.is_multicast


class Sender:
    """Sends deliveries; one per worker process, shared by its sending threads."""

    def __init__(
        self,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_response_bytes: int | None = None,
        allow_private: bool | None = None,
    ) -> None:
        self.timeout = urllib3.Timeout(
            connect=connect_timeout or settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS,
            read=read_timeout or settings.WEBHOOK_READ_TIMEOUT_SECONDS,
        )
        self.max_response_bytes = max_response_bytes or settings.WEBHOOK_MAX_RESPONSE_BYTES
        self.allow_private = (
            settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES if allow_private is None else allow_private
        )
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._addresses: dict[tuple[str, int], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def resolve(self, host: str, port: int) -> str:
        """An allowed address of the host (cached briefly); AddressRefused when any address
        the name resolves to is not allowed, or it does not resolve."""
        now = time.monotonic()
        with self._lock:
            cached = self._addresses.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise AddressRefused(f"{host} does not resolve: {exc}") from exc
        addresses = [info[4][0] for info in infos]
        refused = [a for a in addresses if not address_allowed(a, allow_private=self.allow_private)]
        if refused or not addresses:
            raise AddressRefused(
                f"{host} resolves to {', '.join(refused) or 'nothing'}: private, loopback or "
                "reserved addresses are not delivered to."
            )
        with self._lock:
            self._addresses[(host, port)] = (now + DNS_CACHE_SECONDS, addresses[0])
        return addresses[0]

    def _pool(self, scheme: str, host: str, port: int, address: str) -> urllib3.HTTPConnectionPool:
        key = (scheme, host, port, address)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                options = {"timeout": self.timeout, "retries": False, "maxsize": 4, "block": False}
                if scheme == "https":
                    pool = urllib3.HTTPSConnectionPool(
                        address, port, server_hostname=host, assert_hostname=host, **options
                    )
                else:
                    pool = urllib3.HTTPConnectionPool(address, port, **options)
                self._pools[key] = pool
        return pool

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """POSTs the body; never raises for network trouble (it is an Outcome)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            address = self.resolve(host, port)
        except AddressRefused as exc:
            return Outcome(None, elapsed(), error=f"refused: {exc}")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        if ":" in host and parts.port is None:
            host_header = f"[{host}]"
        request_headers = {
            **headers,
            "Host": host_header,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "identity",
        }
        try:
            response = self._pool(parts.scheme, host, port, address).urlopen(
                "POST",
                target,
                body=body,
                headers=request_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
                assert_same_host=False,
            )
        except HTTPError as exc:
            return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}")
        try:
            content = response.read(self.max_response_bytes + 1, decode_content=False)
        except HTTPError as exc:
            response.close()
            return Outcome(response.status, elapsed(), error=f"reading the answer: {exc}")
        if len(content) > self.max_response_bytes:
            # Not drained: the connection is dropped instead of reading an unbounded body.
            response.close()
            content = content[: self.max_response_bytes]
        else:
            response.release_conn()
        excerpt = content[: settings.WEBHOOK_EXCERPT_BYTES].decode("utf-8", "replace")
        status = response.status
        error = "" if 200 <= status < 300 else f"HTTP {status}"
        return Outcome(status, elapsed(), error=error, response_excerpt=excerpt)
