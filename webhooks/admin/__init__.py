"""Admin for webhooks; every write goes through the webhook services.

- `subscriptions`: `SubscriptionAdmin`, with health (last success, failing since, backlog)
  and the actions send test event, replay since, rotate secret;
- `deliveries`: `DeliveryAdmin`, the read-only delivery log with request and response
  excerpts, and the retry action.

Importing the package registers both.
"""

from . import deliveries, subscriptions

__all__ = ["deliveries", "subscriptions"]
