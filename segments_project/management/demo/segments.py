"""The demo's segments: manual ones with members and items, a rule segment evaluated into
AUTOMATIC members, and one whose validity window lies ahead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import CommandError

from segments.models import EvaluationStatus
from segments.selectors.evaluations import evaluation_latest
from segments.selectors.segments import segment_get
from segments.services.evaluation_run import segment_evaluation_run
from segments.services.items import item_assignments_upsert_bulk
from segments.services.members import customer_assignments_upsert_bulk
from segments.services.segments import segment_upsert

from .context import DemoContext, created_count, summary


@dataclass(frozen=True)
class DemoSegment:
    document: dict[str, Any]
    # (customer id, legal entity id or None for a B2C member)
    members: list[tuple[str, str | None]] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.document["id"]


# Fixed dates, so that a re-run does not see a change and bump the segment versions.
SEGMENTS: list[DemoSegment] = [
    DemoSegment(
        {
            "id": "gold",
            "name": {"en": "Gold customers", "de": "Goldkunden"},
            "description": {
                "en": "Our best customers: early access and the gold assortment.",
                "de": "Unsere besten Kunden: früher Zugang und das Gold-Sortiment.",
            },
            "validity": {"from": "2025-01-01T00:00:00.000Z", "to": "2030-12-31T23:59:59.000Z"},
            "status": "ACTIVE",
            "siteCode": "main",
        },
        members=[("C-1001", None), ("C-1002", None)],
        products=["LT-100", "SP-200"],
        categories=["headphones"],
    ),
    DemoSegment(
        {
            "id": "silver",
            "name": {"en": "Silver customers", "de": "Silberkunden"},
            "status": "ACTIVE",
            "siteCode": "main",
        },
        members=[("C-1003", None), ("C-1004", None)],
        products=["HP-200"],
        categories=["speakers"],
    ),
    DemoSegment(
        {
            "id": "b2b-partners",
            "name": {"en": "B2B partners", "de": "B2B-Partner"},
            "description": {"en": "Resellers buying on account."},
            "status": "ACTIVE",
            "siteCode": "main",
        },
        members=[("C-2001", "LE-ACME"), ("C-2002", "LE-GLOBEX"), ("C-2003", "LE-ACME")],
        categories=["computers"],
    ),
    # A rule segment: its members are AUTOMATIC, made by evaluating the rule.
    DemoSegment(
        {
            "id": "germany",
            "name": {"en": "Customers in Germany", "de": "Kunden in Deutschland"},
            "description": {"en": "Every active customer with an address in Germany."},
            "status": "ACTIVE",
            "siteCode": "main",
            "criteria": {"q": "addresses.country:DE active:true"},
        },
        products=["GD-300"],
        categories=["kitchen"],
    ),
    # Valid only from a date to come: its members see nothing of it yet.
    DemoSegment(
        {
            "id": "christmas-2030",
            "name": {"en": "Christmas 2030 early access", "de": "Weihnachten 2030 Vorverkauf"},
            "validity": {"from": "2030-11-15T00:00:00.000Z", "to": "2030-12-31T23:59:59.000Z"},
            "status": "ACTIVE",
            "siteCode": "main",
        },
        members=[("C-1001", None), ("C-1005", None)],
        categories=["apparel"],
    ),
]


def load_segments(ctx: DemoContext) -> str:
    created = [
        segment_upsert(tenant=ctx.tenant, segment_id=segment.id, document=segment.document)[1]
        for segment in SEGMENTS
    ]
    return summary("segments", len(created), sum(created))


def load_members(ctx: DemoContext) -> str:
    """The MANUAL members (B2C, and B2B for a legal entity)."""
    created = total = 0
    for segment in SEGMENTS:
        if segment.members:
            documents = [
                {"customerId": customer, "legalEntityId": legal_entity}
                if legal_entity
                else {"customerId": customer}
                for customer, legal_entity in segment.members
            ]
            created += created_count(
                customer_assignments_upsert_bulk(
                    tenant=ctx.tenant, segment_id=segment.id, documents=documents
                )
            )
            total += len(documents)
    return summary("manual members", total, created)


def load_items(ctx: DemoContext) -> str:
    """The products and categories each segment gives its members."""
    created = total = 0
    for segment in SEGMENTS:
        for item_type, ids in (("PRODUCT", segment.products), ("CATEGORY", segment.categories)):
            if ids:
                created += created_count(
                    item_assignments_upsert_bulk(
                        tenant=ctx.tenant,
                        segment_id=segment.id,
                        item_type=item_type,
                        documents=[{"id": item_id} for item_id in ids],
                    )
                )
                total += len(ids)
    return summary("segment items", total, created)


def evaluate_rules(ctx: DemoContext) -> str:
    """Runs the evaluation a rule's write requested (the background job's body) here, so
    the rule's AUTOMATIC members exist before the server starts; the queued job then finds
    it done. A rule evaluated before is left to the customer writes and the scheduler."""
    ran = []
    for segment in SEGMENTS:
        if not segment.document.get("criteria"):
            continue
        row = segment_get(tenant=ctx.tenant, segment_id=segment.id)
        latest = evaluation_latest(tenant=ctx.tenant, segment=row)
        if latest is not None and latest.status == EvaluationStatus.PENDING:
            ended = segment_evaluation_run(tenant=ctx.tenant, evaluation_id=latest.pk)
            if ended is not None and ended.status == EvaluationStatus.FAILED:
                raise CommandError(f"The rule of segment {segment.id} failed: {ended.error}")
            ran.append(segment.id)
    return f"rule evaluations run: {', '.join(ran) if ran else 'none needed'}"
