"""Named moments in the write paths that tests (and instrumentation) can listen at.

Production code marks a moment with `reached(Checkpoint.X, **context)`; with nobody
listening that is one dictionary lookup. A test listens with `listening(...)` (or the
`pause_at` and `on_checkpoint` fixtures of tests/conftest.py) to widen a race window, to
crash between two steps, or to observe a step, without monkeypatching private functions:
the names below are the contract, and renaming a function breaks no test.

Listeners run in the thread that reaches the checkpoint (concurrency tests listen at
moments reached by their worker threads). A listener may raise: the writer fails there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any


class Checkpoint(StrEnum):
    # An import committed the chunk (`number`, from 1).
    IMPORT_CHUNK_DONE = "imports.chunk_done"
    # A category write found the parent it names (`parent`, or None), before it writes.
    CATEGORY_PARENT_RESOLVED = "catalog.categories.parent_resolved"
    # A category assignment write is about to insert its new rows.
    CATEGORY_ASSIGNMENTS_INSERTING = "catalog.assignments.before_insert"
    # A versioned document write checked the requested version against the locked row.
    DOCUMENT_VERSION_CHECKED = "documents.version_checked"
    # A set-based document write planned its rows against the locked read, before writing.
    DOCUMENTS_PLANNED = "documents.planned"
    # A segment item write checked a requested version against a stored row.
    ITEM_VERSION_CHECKED = "segments.items.version_checked"
    # A customer write is about to sync the customer's legal entity links.
    CUSTOMER_LINKS_SYNCING = "segments.customers.links_syncing"
    # A customer write checked the requested version against the locked row.
    CUSTOMER_VERSION_CHECKED = "segments.customers.version_checked"
    # A member write (API or import) read the stored assignments it will plan against
    # (`stored`, by key; a listener may change it, as if another writer had).
    MEMBERS_STORED_READ = "segments.members.stored_read"
    # A rule evaluation inserted the segment's new AUTOMATIC members, before it removes the
    # unmatched ones (`added`: the (customer, legal entity) pks inserted).
    AUTOMATIC_MEMBERS_INSERTED = "segments.automatic_members.inserted"
    # An exclusion write stored the exclusion and removed the AUTOMATIC memberships, before
    # it commits (`customer`: the customer's pk).
    EXCLUSION_WRITTEN = "segments.exclusions.written"
    # A redemption counted the coupon's redemptions against its limits.
    COUPON_LIMITS_COUNTED = "coupons.redemptions.limits_counted"
    # A referral coupon issue found that the customer has none yet, before it inserts one.
    REFERRAL_COUPON_MISSING = "coupons.referrals.missing"


Listener = Callable[..., None]

_listeners: dict[Checkpoint, list[Listener]] = {}


def reached(name: Checkpoint, **context: Any) -> None:
    """Calls whoever listens at `name` with the context, in the order they started."""
    listeners = _listeners.get(name)
    if listeners:
        for listener in tuple(listeners):
            listener(**context)


@contextmanager
def listening(name: Checkpoint, listener: Listener) -> Iterator[None]:
    """Calls `listener(**context)` whenever `name` is reached inside the block (tests)."""
    _listeners.setdefault(name, []).append(listener)
    try:
        yield
    finally:
        _listeners[name].remove(listener)


# Processes a test starts (a real `db_worker`) cannot be reached by `listening`: with the
# test settings (`CHECKPOINT_PAUSE_FROM_ENVIRONMENT`), the variable names a checkpoint at
# which the process writes the file `CHECKPOINT_PAUSED_FILE` names, once, and then sleeps
# until it is killed (tests/jobs/test_evaluation_worker.py kills a worker mid-evaluation).
PAUSE_VARIABLE = "CHECKPOINT_PAUSE_AT"
PAUSED_FILE_VARIABLE = "CHECKPOINT_PAUSED_FILE"


def pause_from_environment() -> None:
    """Starts the pause the environment asks for, if any (see PAUSE_VARIABLE)."""
    name = os.environ.get(PAUSE_VARIABLE)
    paused_file = os.environ.get(PAUSED_FILE_VARIABLE)
    if not name or not paused_file:
        return

    def pause(**context: Any) -> None:
        marker = Path(paused_file)
        if marker.exists():
            return  # paused once already: the next run goes through
        marker.write_text(str(os.getpid()))
        while True:
            time.sleep(1)

    _listeners.setdefault(Checkpoint(name), []).append(pause)
