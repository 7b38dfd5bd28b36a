"""Segment evaluations as the API speaks them, and which rules the schedule re-evaluates."""

from __future__ import annotations

from typing import Any

from segments_project.api.documents import format_datetime
from segments_project.api.query import parser as nodes
from segments_project.api.query.relative import is_relative

from ..models import SegmentEvaluation


def _values(expr: nodes.Expr) -> list[nodes.Value]:
    match expr:
        case nodes.Exact(value) | nodes.Compare(_, value):
            return [value]
        case nodes.Range(bounds):
            return [bound.value for bound in bounds]
        case nodes.AnyOf(values):
            return list(values)
    return []


def criteria_is_relative(criteria: dict[str, str] | None) -> bool:
    """Whether a text of the rule holds a relative date (`"-30d"`): such a rule selects a
    moving set, so the schedule re-evaluates it. Read from the parsed conditions, so a
    `-30d` inside a quoted name or a regex does not count; an exact `mixins.x:"-30d"`
    (which means the string) does, which only costs an evaluation too many."""
    return any(
        is_relative(value.text)
        for text in (criteria or {}).values()
        for condition in nodes.parse(text)
        for value in _values(condition.expr)
    )


def evaluation_document(segment_id: str, evaluation: SegmentEvaluation | None) -> dict[str, Any]:
    """The latest evaluation of the segment as `GET .../evaluation` answers it. A segment
    never evaluated answers `status: null` and nulls (it has no AUTOMATIC members)."""
    if evaluation is None:
        return {
            "segmentId": segment_id,
            "status": None,
            "trigger": None,
            "requestedAt": None,
            "startedAt": None,
            "finishedAt": None,
            "added": None,
            "removed": None,
            "members": None,
            "attempts": 0,
            "error": None,
        }
    return {
        "segmentId": segment_id,
        "status": evaluation.status,
        "trigger": evaluation.trigger,
        "requestedAt": format_datetime(evaluation.requested_at),
        "startedAt": format_datetime(evaluation.started_at),
        "finishedAt": format_datetime(evaluation.finished_at),
        "added": evaluation.added,
        "removed": evaluation.removed,
        "members": evaluation.members,
        "attempts": evaluation.attempts,
        "error": evaluation.error or None,
    }
