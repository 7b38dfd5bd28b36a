"""The HTTP side of a delivery against a real local receiver: SSRF refusals, timeouts, no
redirects, the response-size cap."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.services.sending import Sender, address_allowed

from .receiver import Receiver


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(address):
    assert not address_allowed(address, allow_private=False)


def test_public_addresses_are_allowed():
    assert address_allowed("93.184.216.34", allow_private=False)
    assert address_allowed("2606:2800:220:1:248:1893:25c8:1946", allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://2130706433:{port}/hook",  # 127.0.0.1 as one number
    ],
)
def test_a_receiver_on_loopback_is_not_contacted_without_the_setting(receivers, url):
    receiver = Receiver().start()
    receivers.append(receiver)
    port = receiver.server.server_address[1]

    outcome = Sender(allow_private=False).post(url.format(port=port), b"{}", {})

    assert outcome.status_code is None and not outcome.succeeded
    assert outcome.error.startswith("refused")
    assert receiver.received == []


def test_with_the_setting_the_local_receiver_gets_the_post(receivers):
    receiver = Receiver().start()
    receivers.append(receiver)

    outcome = Sender(allow_private=True).post(receiver.url, b'{"a":1}', {"webhook-id": "x"})

    assert outcome.succeeded and outcome.status_code == 200
    assert outcome.response_excerpt == '{"ok": true}'
    [request] = receiver.received
    assert request.body == b'{"a":1}' and request.headers["webhook-id"] == "x"
    assert request.headers["host"] == f"127.0.0.1:{receiver.server.server_address[1]}"


def test_an_unresolvable_host_is_a_failed_attempt():
    outcome = Sender(allow_private=True).post("https://no-such-host.invalid/x", b"{}", {})

    assert outcome.status_code is None and "does not resolve" in outcome.error


class _Server:
    """A one-route server whose handler the test writes."""

    def __init__(self, do_post) -> None:
        handler = type(
            "H",
            (BaseHTTPRequestHandler,),
            {"do_POST": do_post, "log_message": lambda *a: None, "protocol_version": "HTTP/1.1"},
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.hits = 0
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_not_followed_and_counts_as_a_failure():
    target_hits = []

    def redirect(handler):
        handler.rfile.read(int(handler.headers["Content-Length"]))
        target_hits.append(handler.path)
        if handler.path == "/hook":
            handler.send_response(302)
            handler.send_header("Location", "/elsewhere")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

    server = _Server(redirect)
    try:
        outcome = Sender(allow_private=True).post(server.url + "/hook", b"{}", {})
    finally:
        server.stop()

    assert outcome.status_code == 302 and not outcome.succeeded
    assert target_hits == ["/hook"]


def test_a_huge_answer_is_read_only_up_to_the_cap():
    def huge(handler):
        handler.rfile.read(int(handler.headers["Content-Length"]))
        handler.send_response(200)
        handler.send_header("Content-Length", str(10_000_000))
        handler.end_headers()
        try:
            for _ in range(1000):
                handler.wfile.write(b"x" * 10_000)
        except OSError:
            pass  # the sender hung up after the cap: that is the point

    server = _Server(huge)
    try:
        outcome = Sender(allow_private=True, max_response_bytes=1000).post(server.url, b"{}", {})
    finally:
        server.stop()

    assert outcome.succeeded
    assert len(outcome.response_excerpt) <= 1000


def test_a_slow_answer_times_out():
    def slow(handler):
        handler.rfile.read(int(handler.headers["Content-Length"]))
        threading.Event().wait(3)

    server = _Server(slow)
    try:
        outcome = Sender(allow_private=True, read_timeout=0.3).post(server.url, b"{}", {})
    finally:
        server.stop()

    assert outcome.status_code is None and "ReadTimeout" in outcome.error
    assert outcome.latency_ms < 2000


def test_a_closed_port_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    outcome = Sender(allow_private=True).post(f"http://127.0.0.1:{port}/x", b"{}", {})

    assert outcome.status_code is None and outcome.error
