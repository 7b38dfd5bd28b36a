"""Standard Webhooks signatures, verified with the `standardwebhooks` package as a consumer
would verify them."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.services.signing import new_secret, signed_headers

BODY = b'{"id":"e1","type":"segment.created"}'


def test_a_signed_message_verifies_with_its_secret_and_not_with_another():
    secret = new_secret()
    headers = signed_headers([secret], message_id="e1", timestamp=int(time.time()), body=BODY)

    assert Webhook(secret).verify(BODY, headers) == {"id": "e1", "type": "segment.created"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)


def test_during_a_rotation_both_secrets_verify():
    old, new = new_secret(), new_secret()
    headers = signed_headers([new, old], message_id="e1", timestamp=int(time.time()), body=BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(BODY, headers)
    assert Webhook(new).verify(BODY, headers)


def test_the_headers_are_the_standard_ones():
    headers = signed_headers([new_secret()], message_id="msg_1", timestamp=1700000000, body=BODY)

    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"].startswith("v1,")
