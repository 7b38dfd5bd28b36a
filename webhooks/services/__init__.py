"""Writes of webhooks: subscriptions, deliveries (dispatch, sending, retries), replays."""

from .replays import deliveries_replay, delivery_retry, subscription_test_send
from .subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_patch,
    subscription_rotate_secret,
    subscription_upsert,
)

__all__ = [
    "deliveries_replay",
    "delivery_retry",
    "subscription_create",
    "subscription_delete",
    "subscription_patch",
    "subscription_rotate_secret",
    "subscription_test_send",
    "subscription_upsert",
]
