"""Adding many members at once from a pasted list of customer numbers or email addresses,
through the member writes' own bulk service (its locks, rules, audit and events)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from segments_project.api.documents import invalid
from segments_project.errors import ValidationFailed

from ..selectors.customer_references import customers_by_reference
from .members import customer_assignments_upsert_bulk

# References one paste may hold: a request stays short; larger lists are an import.
MAX_REFERENCES = 1000
_SEPARATORS = re.compile(r"[,;\t]")


@dataclass
class BulkAddResult:
    """What a pasted list did: customers added, those already members, and the lines
    that named no customer or could not be added, with the reason."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def pasted_references(text: str) -> list[tuple[int, str]]:
    """(line number, reference) of each entry: one per line, or separated by commas,
    semicolons or tabs; blanks are skipped."""
    references = []
    for number, line in enumerate(text.splitlines(), start=1):
        for part in _SEPARATORS.split(line):
            reference = part.strip().strip('"').strip()
            if reference:
                references.append((number, reference))
    return references


def customer_assignments_add_pasted(*, tenant: str, segment_id: str, text: str) -> BulkAddResult:
    """Makes each customer the text names (see `pasted_references`) a MANUAL member of the
    segment (B2C: for a legal entity, add the member one by one). A reference naming no
    customer of the tenant, or an email several customers share, is reported with its line
    and nothing is written for it; the others are written together. ValidationFailed when
    the text names nobody or more than MAX_REFERENCES entries; NotFound for an unknown
    segment."""
    references = pasted_references(text)
    if not references:
        raise invalid("customers", "Give at least one customer number or email address.")
    if len(references) > MAX_REFERENCES:
        raise ValidationFailed(
            f"At most {MAX_REFERENCES} customers at a time ({len(references)} given); "
            "import a file for more."
        )
    named = customers_by_reference(tenant=tenant, references=[ref for _, ref in references])
    result = BulkAddResult()
    wanted: dict[str, int] = {}  # customer id -> the line first naming it
    for number, reference in references:
        customers = named.get(reference)
        if customers is None:
            result.problems.append((number, reference, "No customer has this number or email."))
        elif len(customers) > 1:
            message = f"{len(customers)} customers have this email ({', '.join(customers)})."
            result.problems.append((number, reference, message))
        else:
            wanted.setdefault(customers[0], number)
    result.problems.sort()
    if not wanted:
        return result
    outcomes = customer_assignments_upsert_bulk(
        tenant=tenant,
        segment_id=segment_id,
        documents=[{"customerId": customer_id} for customer_id in wanted],
    )
    for (customer_id, number), outcome in zip(wanted.items(), outcomes, strict=True):
        if outcome.error is not None:
            result.problems.append((number, customer_id, outcome.error.message))
        elif outcome.created:
            result.added.append(customer_id)
        else:
            result.already.append(customer_id)
    result.problems.sort()
    return result
