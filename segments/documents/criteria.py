"""A segment's rule (`criteria`) as the API speaks it: validation and rendering.

`criteria` is `{"q": "<q over customer documents>", "legalEntities": "<q over legal-entity
documents>"}`, each member optional but at least one present. Both are checked by the same
parser and compiler as the `q` of the customer and legal-entity lists, against the same
fields, so a rule that is accepted is a rule those lists can run. Absent or null: the
segment has no rule (manual members only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segments_project.api.documents import invalid
from segments_project.api.query import compile_query

from .directory import CUSTOMER_QUERY_FIELDS, LEGAL_ENTITY_QUERY_FIELDS

#: criteria member -> the fields its q text may name.
CRITERIA_PARTS = {"q": CUSTOMER_QUERY_FIELDS, "legalEntities": LEGAL_ENTITY_QUERY_FIELDS}


def clean_criteria(value: Any, *, now: datetime | None = None) -> dict[str, str] | None:
    """The rule to store (only its non-null members), None for no rule, or a 400 naming the
    member at fault (`criteria.q`, `criteria.legalEntities`) and the problem.

    Relative dates are resolved against `now` only to check them: the stored texts keep
    them relative.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("criteria", "criteria must be an object with q and/or legalEntities.")
    unknown = sorted(set(value) - set(CRITERIA_PARTS))
    if unknown:
        raise invalid(
            f"criteria.{unknown[0]}",
            f"criteria may only hold q and legalEntities, not {unknown[0]}.",
        )
    criteria: dict[str, str] = {}
    for member, fields in CRITERIA_PARTS.items():
        text = value.get(member)
        if text is None:
            continue
        field = f"criteria.{member}"
        if not isinstance(text, str):
            raise invalid(field, f"{field} must be a string in the q language.")
        if not text.strip():
            raise invalid(
                field,
                f"{field} must not be blank; a rule for every customer is 'id:exists'.",
                type="required",
            )
        compile_query(text, fields, now=now, param=field)
        criteria[member] = text
    if not criteria:
        raise invalid(
            "criteria", "criteria needs q or legalEntities; null removes the rule.", type="required"
        )
    return criteria


def preview_criteria(body: Any, *, now: datetime | None = None) -> dict[str, str]:
    """The rule a preview request (`{"criteria": {...}}`) asks about, or a 400."""
    if not isinstance(body, dict):
        raise invalid("body", "A criteria preview request must be a JSON object.")
    criteria = clean_criteria(body.get("criteria"), now=now)
    if criteria is None:
        raise invalid("criteria", "criteria is required.", type="required")
    return criteria


def preview_document(count: int, total_customers: int, sample: list[dict[str, Any]]) -> dict:
    """The answer of a criteria preview."""
    return {"count": count, "totalCustomers": total_customers, "sample": sample}
