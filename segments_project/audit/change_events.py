"""The change events an audit entry means: `change_events(changes)`, called by `record()`,
so that every entry point that audits a change (API, bulk, admin, imports, tasks, rule
evaluations) emits the same events with no code of its own.

Member, item and exclusion events are about their segment (resource `segment`), so that
one segment's changes are ordered by one sequence; redemption events are about their
coupon. Imports and rule evaluations list their members or items in batched events of at
most `BATCH_SIZE` (`data.members` / `data.items`); single writes name one (`data` is the
member or item itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from segments_project.events.append import EventDraft, resource_key
from segments_project.events.types import BATCH_SIZE, EventType, ResourceType

from .models import AuditAction, DocumentType

if TYPE_CHECKING:
    from .record import Change

_AUTOMATIC = "AUTOMATIC"

_ADDED_REMOVED = {AuditAction.ASSIGNED: "added", AuditAction.UNASSIGNED: "removed"}
# A member stays a member through an update (of its mixins, or AUTOMATIC turned MANUAL),
# but a consumer's copy of it changes: `segment.member.updated`.
_MEMBER_VERBS = {**_ADDED_REMOVED, AuditAction.UPDATED: "updated"}


def change_events(changes: list[Change]) -> list[EventDraft]:
    """The events of the changes, in their order (none for a change no consumer is told of,
    such as an update of an item assignment's mixins)."""
    drafts: list[EventDraft] = []
    for change in changes:
        kind = change.document_type
        if kind == DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT and "ids" not in change.changes:
            # A bulk write's hundreds of member changes: no generator per change.
            draft = _member_event(change)
            if draft is not None:
                drafts.append(draft)
        else:
            drafts.extend(_events(change))
    return drafts


# Of the changes whose events are about their segment (`segment_id`).
_SEGMENT_PARTS = frozenset(
    {
        DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT,
        DocumentType.SEGMENT_ITEM_ASSIGNMENT,
        DocumentType.SEGMENT_EXCLUSION,
    }
)


def change_resources(tenant: str, changes: list[Change]) -> set[str]:
    """The resources (`resource_key`s) the events of the changes may be about, for the
    write's locks (a superset of those of `change_events`; empty: the changes have none)."""
    segments: set[str] = set()
    keys: set[str] = set()
    for change in changes:
        kind = change.document_type
        if kind in _SEGMENT_PARTS:
            if change.segment_id is not None:
                segments.add(change.segment_id)
        elif kind == DocumentType.SEGMENT:
            segments.add(change.document_id)
        elif kind == DocumentType.COUPON:
            keys.add(resource_key(tenant, ResourceType.COUPON, change.document_id))
        elif kind == DocumentType.REDEMPTION:
            keys.add(resource_key(tenant, ResourceType.COUPON, change.changes["coupon"]))
    keys.update(resource_key(tenant, ResourceType.SEGMENT, segment) for segment in segments)
    return keys


def _events(change: Change) -> Iterator[EventDraft]:
    kind = change.document_type
    if kind == DocumentType.SEGMENT:
        yield from _document_events(change, ResourceType.SEGMENT)
    elif kind == DocumentType.COUPON:
        yield from _document_events(change, ResourceType.COUPON)
    elif kind == DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT:
        yield from _member_batch_events(change)
    elif kind == DocumentType.SEGMENT_ITEM_ASSIGNMENT:
        yield from _item_events(change)
    elif kind == DocumentType.SEGMENT_EXCLUSION:
        yield from _exclusion_events(change)
    elif kind == DocumentType.REDEMPTION:
        yield from _redemption_events(change)


def _document_events(change: Change, resource: ResourceType) -> Iterator[EventDraft]:
    action = change.action
    if action == AuditAction.EVALUATED:
        yield from _evaluation_events(change)
        return
    if action not in (AuditAction.CREATED, AuditAction.UPDATED, AuditAction.DELETED):
        return
    data = {}
    if action == AuditAction.UPDATED:
        data["changedFields"] = (change.event_data or {}).get("changedFields") or sorted(
            change.changes
        )
    yield EventDraft(f"{resource}.{action}", resource, change.document_id, data)


def _member(name: str, assignment_type: str | None) -> dict[str, Any]:
    """`{customerId, legalEntityId, assignmentType}` of the audit name `customer[/entity]`
    (ids never hold a `/`)."""
    customer_id, _, legal_entity_id = name.partition("/")
    return {
        "customerId": customer_id,
        "legalEntityId": legal_entity_id or None,
        "assignmentType": assignment_type,
    }


def _batch_member(name: str) -> dict[str, Any]:
    """A member of a batched event (whose `assignmentType` is the event's)."""
    customer_id, _, legal_entity_id = name.partition("/")
    return {"customerId": customer_id, "legalEntityId": legal_entity_id or None}


_MEMBER_EVENT_TYPES = {action: f"segment.member.{verb}" for action, verb in _MEMBER_VERBS.items()}


def _member_event(change: Change) -> EventDraft | None:
    """The event of a single write's member change (an import's batch of them:
    `_member_batch_events`)."""
    event_type = _MEMBER_EVENT_TYPES.get(change.action)
    if event_type is None or change.segment_id is None:
        return None
    values = change.changes
    if change.action == AuditAction.UPDATED:
        # The update's trail holds only what changed: the type after it is in event_data.
        extra = change.event_data or {}
        data = _member(change.document_id, extra.get("assignmentType"))
        data["changedFields"] = extra.get("changedFields") or sorted(values)
    else:
        data = _member(change.document_id, values.get("assignment_type"))
    if "reason" in values:
        data["reason"] = values["reason"]
    return EventDraft(event_type, ResourceType.SEGMENT, change.segment_id, data)


def _member_batch_events(change: Change) -> Iterator[EventDraft]:
    """An import's batch of member changes (`changes["ids"]`), in batched events."""
    event_type = _MEMBER_EVENT_TYPES.get(change.action)
    if event_type is None or change.segment_id is None:
        return
    extra = change.event_data or {}
    members = [_batch_member(name) for name in change.changes["ids"]]
    context = {"source": "import", "assignmentType": extra.get("assignmentType")}
    yield from _batched(event_type, change.segment_id, "members", members, context)


def _item(name: str) -> dict[str, Any]:
    item_type, _, item_id = name.partition("/")
    return {"itemType": item_type, "itemId": item_id}


def _item_events(change: Change) -> Iterator[EventDraft]:
    verb = _ADDED_REMOVED.get(change.action)
    if verb is None or change.segment_id is None:
        return
    event_type = f"segment.item.{verb}"
    if "ids" in change.changes:  # an import's batch
        items = [_item(name) for name in change.changes["ids"]]
        yield from _batched(event_type, change.segment_id, "items", items, {"source": "import"})
        return
    data = _item(change.document_id)
    if "reason" in change.changes:
        data["reason"] = change.changes["reason"]
    yield EventDraft(event_type, ResourceType.SEGMENT, change.segment_id, data)


def _exclusion_events(change: Change) -> Iterator[EventDraft]:
    verbs = {AuditAction.CREATED: "added", AuditAction.DELETED: "removed"}
    verb = verbs.get(change.action)
    if verb is None or change.segment_id is None:
        return
    yield EventDraft(
        f"segment.exclusion.{verb}",
        ResourceType.SEGMENT,
        change.segment_id,
        {"customerId": change.document_id},
    )


def _redemption_events(change: Change) -> Iterator[EventDraft]:
    code = change.changes["coupon"]
    redemption_id = change.document_id[len(code) + 1 :]
    if change.action == AuditAction.DELETED:
        yield EventDraft(
            EventType.COUPON_REDEMPTION_DELETED,
            ResourceType.COUPON,
            code,
            {"redemptionId": redemption_id},
        )
    elif change.action == AuditAction.CREATED:
        values = change.changes
        data = {
            "redemptionId": redemption_id,
            "customerNumber": values.get("customer_number") or None,
            "legalEntityId": values.get("legal_entity_public_id") or None,
            "orderCode": values.get("order_code") or None,
            "siteCode": values.get("site_code") or None,
        }
        yield EventDraft(EventType.COUPON_REDEEMED, ResourceType.COUPON, code, data)


def _evaluation_events(change: Change) -> Iterator[EventDraft]:
    """AUTOMATIC members a rule evaluation added and removed, batched: every one of them,
    from `event_data` (`added`, `removed`: `[customer id, legal entity id or None]`
    pairs), not the trail's samples."""
    extra = change.event_data or {}
    context = {"source": change.changes.get("source"), "assignmentType": _AUTOMATIC}
    for verb in ("added", "removed"):
        members = [{"customerId": c, "legalEntityId": le} for c, le in extra.get(verb, [])]
        yield from _batched(
            f"segment.member.{verb}", change.document_id, "members", members, context
        )


def _batched(
    event_type: str, segment_id: str, key: str, entries: list[Any], context: dict[str, Any]
) -> Iterator[EventDraft]:
    for start in range(0, len(entries), BATCH_SIZE):
        data = {**context, key: entries[start : start + BATCH_SIZE]}
        yield EventDraft(event_type, ResourceType.SEGMENT, segment_id, data)
