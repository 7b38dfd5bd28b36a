"""Legal entities, customers (a fifth of them B2B) with their profiles (addresses,
preferences, state) and behaviour facts (`mixins`, see `rules.py`), and the companies B2B
customers act for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from segments.documents.customer_profile import PROFILE_MODEL_FIELDS
from segments.models import Customer, CustomerLegalEntity, LegalEntity

from .context import EMPTY_JSON, Context
from .ids import moment, stream
from .rules import customer_mixins, legal_entity_mixins
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

# Email addresses are ASCII (the API refuses others): Müller writes mueller.
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

_DOCUMENT = ("mixins", "metadata_mixins", "version", "created_at", "modified_at")

# The customer profile (PROFILE_MODEL_FIELDS of segments/documents/customer_profile.py):
# weighted like a German shop with neighbours. Every value passes `customer_values`.
LANGUAGES = (("de_DE", 50), ("en_US", 15), ("de", 10), ("en_GB", 8), ("fr_FR", 7), ("it_IT", 5))
LANGUAGES += (("nl_NL", 5),)
CITIES = {
    # country: (weight, currency, zip code digits, cities)
    "DE": (60, "EUR", 5, ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden")),
    "AT": (12, "EUR", 4, ("Wien", "Graz", "Linz", "Salzburg")),
    "CH": (10, "CHF", 4, ("Zürich", "Basel", "Bern", "Genève")),
    "FR": (6, "EUR", 5, ("Paris", "Lyon", "Strasbourg")),
    "NL": (6, "EUR", 4, ("Amsterdam", "Utrecht", "Rotterdam")),
    "IT": (6, "EUR", 5, ("Milano", "Bolzano", "Torino")),
}
STREETS = ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schulstraße", "Lindenallee", "Ring")
ADDRESS_TAGS = ("billing", "shipping", "office", "warehouse", "pickup")


def _document_tail(index: int, mixins: dict[str, Any] = EMPTY_JSON) -> tuple[Any, ...]:
    created = moment(index)
    return (mixins, EMPTY_JSON, 1, created, created)


def _legal_entities(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "legal-entities")
    facts = stream(ctx.seed, "legal-entity-mixins")
    for index in range(ctx.scale.legal_entities):
        name = (
            f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_FORMS)}"
        )
        yield (
            ctx.legal_entity_pk0 + index,
            ctx.tenant,
            ctx.legal_entity_id(index),
            name,
            *_document_tail(index, legal_entity_mixins(facts)),
        )


def _customers(ctx: Context) -> Iterator[tuple[Any, ...]]:
    rng = stream(ctx.seed, "customers")
    # A stream of its own, so that the names and ids are those of datasets made before.
    profiles = stream(ctx.seed, "customer-profiles")
    facts = stream(ctx.seed, "customer-mixins")
    for index in range(ctx.scale.customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        yield (
            ctx.customer_pk0 + index,
            ctx.tenant,
            ctx.customer_id(index),
            first,
            last,
            f"{first}.{last}.{index}@example.com".lower().translate(_ASCII),
            *_profile(profiles, index in ctx.b2b_links),
            *_document_tail(index, customer_mixins(facts, ctx)),
        )


def _address(rng: Any, index: int, default: bool) -> dict[str, Any]:
    countries = list(CITIES)
    country = rng.choices(countries, weights=[CITIES[c][0] for c in countries])[0]
    _, _, digits, cities = CITIES[country]
    address: dict[str, Any] = {
        "id": f"a{index}",
        "street": rng.choice(STREETS),
        "streetNumber": str(rng.randint(1, 120)),
        "zipCode": str(rng.randrange(10 ** (digits - 1), 10**digits)),
        "city": rng.choice(cities),
        "country": country,
        "isDefault": default,
    }
    tags = rng.sample(ADDRESS_TAGS, rng.choices((0, 1, 2), weights=(40, 45, 15))[0])
    if tags:
        address["tags"] = tags
    return address


def _profile(rng: Any, b2b: bool) -> tuple[Any, ...]:
    """A customer's profile values in `PROFILE_MODEL_FIELDS` order: 0 to 3 addresses (the first the
    default), the currency of the first address's country, a company for B2B customers."""
    count = rng.choices((0, 1, 2, 3), weights=(8, 62, 25, 5))[0]
    addresses = [_address(rng, index, index == 0) for index in range(count)]
    currency = CITIES[addresses[0]["country"]][1] if addresses else "EUR"
    languages = [code for code, _ in LANGUAGES]
    language = rng.choices(languages, weights=[weight for _, weight in LANGUAGES])[0]
    phone = (
        f"+49 {rng.randint(30, 999)} {rng.randint(100000, 9999999)}" if rng.random() < 0.7 else ""
    )
    company, registration = "", ""
    if b2b:
        words = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)}"
        company = f"{words} {rng.choice(COMPANY_FORMS)}"
        registration = f"HRB {rng.randint(1000, 99999)}"
    site = "b2b" if b2b else rng.choices(("main", "outlet"), weights=(85, 15))[0]
    active = rng.random() < 0.95
    on_hold = rng.random() < 0.03
    return (phone, company, registration, site, language, currency, active, on_hold, addresses)


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
        names = ("id", "tenant_id", "public_id", "first_name", "last_name", "email")
        fields = (*names, *PROFILE_MODEL_FIELDS, *_DOCUMENT)
        done(TableWriter(Customer, fields).write(_customers(ctx)))
    with step("customer legal entity links") as done:
        fields = ("tenant_id", "customer_id", "legal_entity_id")
        done(TableWriter(CustomerLegalEntity, fields).write(_links(ctx)))
