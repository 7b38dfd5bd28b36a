"""The demo's customers: B2C shoppers, and B2B buyers acting for two legal entities."""

from __future__ import annotations

from typing import Any

from segments.services.directory import customer_upsert, legal_entity_upsert

from .context import DemoContext, summary

LEGAL_ENTITIES: list[dict[str, Any]] = [
    {"id": "LE-ACME", "name": "Acme Retail GmbH", "mixins": {"account": {"terms": "NET30"}}},
    {"id": "LE-GLOBEX", "name": "Globex Trading Ltd", "mixins": {"account": {"terms": "NET60"}}},
]


def _customer(
    customer_id: str,
    name: str,
    *,
    country: str,
    city: str,
    language: str,
    currency: str = "EUR",
    **members: Any,
) -> dict[str, Any]:
    first_name, last_name = name.split(" ", 1)
    return {
        "id": customer_id,
        "firstName": first_name,
        "lastName": last_name,
        "email": f"{first_name}.{last_name}@example.com".lower(),
        "preferredSite": "main",
        "preferredLanguage": language,
        "preferredCurrency": currency,
        "addresses": [{"country": country, "city": city, "isDefault": True}],
        **members,
    }


# C-1001 is the customer whose token `load_demo` prints: a gold member (MANUAL) who lives in
# Germany, so the rule segment `germany` makes her an AUTOMATIC member too.
TOKEN_CUSTOMER_ID = "C-1001"

CUSTOMERS: list[dict[str, Any]] = [
    _customer(
        "C-1001",
        "Anna Schmidt",
        country="DE",
        city="Berlin",
        language="de",
        mixins={"loyalty": {"points": 2400}},
    ),
    _customer("C-1002", "Ben Carter", country="GB", city="London", language="en", currency="GBP"),
    _customer("C-1003", "Clara Wagner", country="DE", city="Munich", language="de"),
    _customer("C-1004", "David Rossi", country="IT", city="Milan", language="it"),
    _customer("C-1005", "Emma Dubois", country="FR", city="Paris", language="fr"),
    # Inactive: the rule of `germany` asks for active customers, so it leaves him out.
    _customer("C-1006", "Felix Braun", country="DE", city="Hamburg", language="de", active=False),
    _customer(
        "C-2001",
        "Greta Hoffmann",
        country="DE",
        city="Cologne",
        language="de",
        company="Acme Retail GmbH",
        b2b={"companyRegistrationId": "HRB 1815"},
        legalEntityIds=["LE-ACME"],
    ),
    _customer(
        "C-2002",
        "Henry Walsh",
        country="GB",
        city="Leeds",
        language="en",
        currency="GBP",
        company="Globex Trading Ltd",
        b2b={"companyRegistrationId": "GB 0042 7713"},
        legalEntityIds=["LE-GLOBEX"],
    ),
    _customer(
        "C-2003",
        "Ines Keller",
        country="AT",
        city="Vienna",
        language="de",
        company="Acme Retail GmbH",
        b2b={"companyRegistrationId": "HRB 1815"},
        legalEntityIds=["LE-ACME"],
    ),
]


def load_legal_entities(ctx: DemoContext) -> str:
    created = [
        legal_entity_upsert(tenant=ctx.tenant, legal_entity_id=entity["id"], document=entity)[1]
        for entity in LEGAL_ENTITIES
    ]
    return summary("legal entities", len(created), sum(created))


def load_customers(ctx: DemoContext) -> str:
    """B2C and B2B customers (each write also evaluates the rule segments for it)."""
    created = [
        customer_upsert(tenant=ctx.tenant, customer_id=customer["id"], document=customer)[1]
        for customer in CUSTOMERS
    ]
    return summary("customers", len(created), sum(created))
