"""Legal entities, customers (a fifth of them B2B) and the companies B2B customers act for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from segments.models import Customer, CustomerLegalEntity, LegalEntity

from .context import EMPTY_JSON, Context
from .ids import moment, stream
from .tables import TableWriter, reserve_pks

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Klara",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Simon",
    "Tara",
    "Uwe",
    "Vera",
    "Willi",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Bauer",
    "Becker",
    "Fischer",
    "Hoffmann",
    "Koch",
    "Meyer",
    "Müller",
    "Richter",
    "Schäfer",
    "Schmidt",
    "Schneider",
    "Schulz",
    "Wagner",
    "Weber",
    "Wolf",
    "Zimmermann",
]
COMPANY_WORDS = [
    "Alpha",
    "Nord",
    "Süd",
    "Rhein",
    "Elb",
    "Tech",
    "Logistik",
    "Handel",
    "Bau",
    "Medien",
    "Werk",
    "Systeme",
]
COMPANY_FORMS = ("GmbH", "AG", "KG", "GmbH & Co. KG", "SE")

_DOCUMENT = ("mixins", "metadata_mixins", "version", "created_at", "modified_at")


def _document_tail(index: int) -> tuple[Any, ...]:
    created = moment(index)
    return (EMPTY_JSON, EMPTY_JSON, 1, created, created)


def _legal_entities(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "legal-entities")
    for index in range(ctx.scale.legal_entities):
        name = (
            f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_FORMS)}"
        )
        yield (
            ctx.legal_entity_pk0 + index,
            ctx.tenant,
            ctx.legal_entity_id(index),
            name,
            *_document_tail(index),
        )


def _customers(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "customers")
    for index in range(ctx.scale.customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        yield (
            ctx.customer_pk0 + index,
            ctx.tenant,
            ctx.customer_id(index),
            first,
            last,
            f"{first}.{last}.{index}@example.com".lower(),
            *_document_tail(index),
        )


def plan_b2b_links(ctx: Context) -> None:
    """Picks the B2B customers and their legal entities (every legal entity gets one)."""
    rng = stream(ctx.seed, "b2b")
    b2b = sorted(rng.sample(range(ctx.scale.customers), ctx.scale.b2b_customers))
    count = ctx.scale.legal_entities
    links: dict[int, tuple[int, ...]] = {}
    for position, customer in enumerate(b2b):
        entities = [position % count]
        extra = rng.choices((0, 1, 2), weights=(80, 15, 5))[0]
        while len(entities) < min(1 + extra, count):
            candidate = rng.randrange(count)
            if candidate not in entities:
                entities.append(candidate)
        links[customer] = tuple(entities)
    ctx.b2b_links = links


def _links(ctx: Context) -> Iterator[tuple[Any, ...]]:
    for customer, entities in ctx.b2b_links.items():
        for entity in entities:
            yield (ctx.tenant, ctx.customer_pk0 + customer, ctx.legal_entity_pk0 + entity)


def generate_directory(ctx: Context, step) -> None:
    ctx.legal_entity_pk0 = reserve_pks(LegalEntity, ctx.scale.legal_entities)
    ctx.customer_pk0 = reserve_pks(Customer, ctx.scale.customers)
    plan_b2b_links(ctx)
    with step("legal entities") as done:
        done(
            TableWriter(LegalEntity, ("id", "tenant_id", "public_id", "name", *_DOCUMENT)).write(
                _legal_entities(ctx)
            )
        )
    with step("customers") as done:
        fields = ("id", "tenant_id", "public_id", "first_name", "last_name", "email", *_DOCUMENT)
        done(TableWriter(Customer, fields).write(_customers(ctx)))
    with step("customer legal entity links") as done:
        fields = ("tenant_id", "customer_id", "legal_entity_id")
        done(TableWriter(CustomerLegalEntity, fields).write(_links(ctx)))
