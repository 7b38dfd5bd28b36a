"""The explanation of what a customer sees: the values `selectors.explain` decides, and
their rendering as the API answers them (the admin's explain page shows the same)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from segments_project.api.documents import format_datetime
from segments_project.api.localization import ALL_LANGUAGES, LanguagePreference, localize

from ..models import AssignmentType, Customer, Segment

# The values of a membership's `how`: the stored assignment types (MANUAL, AUTOMATIC), and
# EXCLUDED for an exclusion of the customer (which keeps them out of the rule's members).
EXCLUDED = "EXCLUDED"
MEMBERSHIP_HOWS = (*AssignmentType.values, EXCLUDED)


@dataclass(frozen=True)
class ConditionCheck:
    """One top-level condition of `criteria.q`, the customer's values of its field (as
    the customer document shows them) and whether it holds for the customer."""

    condition: str
    field: str
    values: list[Any]
    holds: bool


@dataclass
class RuleCheck:
    """What a segment's rule says about the customer now. The rule selects the customer
    as a B2C member when `q` matches, and as a B2B member for each legal entity in
    `matching_legal_entities`."""

    q: str | None
    legal_entities: str | None
    q_matches: bool = False
    conditions: list[ConditionCheck] = field(default_factory=list)
    matching_legal_entities: list[str] = field(default_factory=list)
    other_legal_entities: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def matches(self) -> bool:
        return self.q_matches or bool(self.matching_legal_entities)

    def roles(self) -> set[str | None]:
        """The memberships the rule makes: None for B2C, legal entity ids for B2B."""
        return ({None} if self.q_matches else set()) | set(self.matching_legal_entities)


@dataclass(frozen=True)
class Membership:
    """One assignment of the customer to a segment, and whether it makes them a member in
    the asked context (B2C, or acting for the asked legal entity)."""

    how: str  # one of MEMBERSHIP_HOWS
    legal_entity_id: str | None
    applies: bool
    reason: str | None


@dataclass
class SegmentExplanation:
    """A segment that concerns the customer: one they are assigned to, or one that carries
    the asked item."""

    segment: Segment
    member: bool
    counts: bool  # the storefront draws on it for this customer now
    memberships: list[Membership] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rule: RuleCheck | None = None  # what the segment's rule says about the customer
    notes: list[str] = field(default_factory=list)  # where the members lag behind the rule


@dataclass(frozen=True)
class Route:
    """One way an item reaches a segment: a direct assignment of the item, or a category
    assignment of the item's category or of one of its ancestors (`path`: public ids from
    the assigned category down to the category that holds the item)."""

    segment_id: str
    assigned_type: str
    assigned_id: str
    path: tuple[str, ...]
    counts: bool


@dataclass
class ItemExplanation:
    item_type: str
    item_id: str
    found: bool
    published: bool | None
    visible: bool
    routes: list[Route]
    visible_through: list[str]
    reason: str | None
    notes: list[str]


@dataclass
class Explanation:
    customer: Customer
    legal_entity_id: str | None
    acts_for_legal_entity: bool | None
    site_code: str | None
    at: datetime
    segments: list[SegmentExplanation]
    item: ItemExplanation | None


def _segment(entry: SegmentExplanation, languages: LanguagePreference) -> dict[str, Any]:
    segment = entry.segment
    document: dict[str, Any] = {
        "segmentId": segment.public_id,
        "name": localize(segment.name, languages),
        "status": segment.status,
        "siteCode": segment.site_code,
        "validity": {
            "from": format_datetime(segment.valid_from),
            "to": format_datetime(segment.valid_to),
        },
        "member": entry.member,
        "memberships": [
            {
                "how": membership.how,
                "legalEntityId": membership.legal_entity_id,
                "applies": membership.applies,
                "reason": membership.reason,
            }
            for membership in entry.memberships
        ],
        "counts": entry.counts,
        "reasons": entry.reasons,
        "rule": _rule(entry.rule, entry.notes) if entry.rule is not None else None,
    }
    return document


def _rule(rule: RuleCheck, notes: list[str]) -> dict[str, Any]:
    return {
        "matches": rule.matches,
        "q": None
        if rule.q is None
        else {
            "text": rule.q,
            "matches": rule.q_matches,
            "conditions": [
                {
                    "condition": check.condition,
                    "field": check.field,
                    "values": check.values,
                    "holds": check.holds,
                }
                for check in rule.conditions
            ],
        },
        "legalEntities": None
        if rule.legal_entities is None
        else {
            "text": rule.legal_entities,
            "matchingLegalEntityIds": rule.matching_legal_entities,
            "otherLegalEntityIds": rule.other_legal_entities,
        },
        "notes": notes,
    }


def _item(item: ItemExplanation) -> dict[str, Any]:
    return {
        "itemType": item.item_type,
        "itemId": item.item_id,
        "found": item.found,
        "published": item.published,
        "visible": item.visible,
        "visibleThrough": item.visible_through,
        "routes": [
            {
                "segmentId": route.segment_id,
                "assignment": {"itemType": route.assigned_type, "itemId": route.assigned_id},
                "categoryPath": list(route.path),
                "counts": route.counts,
            }
            for route in item.routes
        ],
        "reason": item.reason,
        "notes": item.notes,
    }


def explanation_document(
    explanation: Explanation, languages: LanguagePreference = ALL_LANGUAGES
) -> dict[str, Any]:
    """The explanation as `GET /segments/explain` answers it."""
    document: dict[str, Any] = {
        "customerId": explanation.customer.public_id,
        "legalEntityId": explanation.legal_entity_id,
        "actsForLegalEntity": explanation.acts_for_legal_entity,
        "siteCode": explanation.site_code,
        "at": format_datetime(explanation.at),
        "segments": [_segment(entry, languages) for entry in explanation.segments],
    }
    if explanation.item is not None:
        document["item"] = _item(explanation.item)
    return document
