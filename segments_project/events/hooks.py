"""What the outbox tells the apps above it (which it cannot import).

`EVENTS_APPENDED`: each hook is called with the tenant whenever `events_append` writes
events, inside the writing transaction (a hook that acts after the commit registers
`transaction.on_commit`). Connected by webhooks: wake the delivery pump.
"""

from __future__ import annotations

from collections.abc import Callable

from segments_project.registry import Hooks

EVENTS_APPENDED: Hooks[Callable[[str], None]] = Hooks("events.appended", provided_by=("webhooks",))
