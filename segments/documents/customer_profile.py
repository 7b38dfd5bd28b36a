"""The members of a customer document taken from Emporix's tenant-managed customer, that
segments select on: contact, company, preferences, state and addresses.

Validated here into model values (`profile_values`) and rendered back (`profile_members`);
`customer_values` and `customer_document` (`directory.py`) call these, so the API, the
bulk write, the admin and the imports share one rule. The formats are the spec's:
`preferredLanguage` like `en` or `en_US`, `preferredCurrency` an ISO 4217 code (`EUR`),
an address's `country` an ISO 3166-1 alpha-2 code (`DE`).
"""

from __future__ import annotations

import re
from typing import Any

from segments_project.api.documents import MAX_MIXINS_BYTES, clean_object, invalid
from segments_project.api.query import FieldKind, FieldSpec

from ..models import Customer

MAX_TEXT_LENGTH = 255
MAX_PHONE_LENGTH = 64
MAX_SITE_LENGTH = 64
MAX_ADDRESSES = 20
MAX_TAGS = 50
MAX_TAG_LENGTH = 128

LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
CURRENCY = re.compile(r"[A-Z]{3}")
COUNTRY = re.compile(r"[A-Z]{2}")

# The model fields of the profile, in the order forms and the dataset generator name them.
PROFILE_MODEL_FIELDS = (
    "contact_phone",
    "company",
    "company_registration_id",
    "preferred_site",
    "preferred_language",
    "preferred_currency",
    "active",
    "on_hold",
    "addresses",
)
PROFILE_DOCUMENT_FIELDS = frozenset(
    {
        "contactPhone",
        "company",
        "preferredSite",
        "preferredLanguage",
        "preferredCurrency",
        "active",
        "onHold",
        "b2b",
        "addresses",
    }
)

# Text members of an address, in the order they are rendered; `country`, `isDefault`,
# `tags` and `mixins` have rules of their own.
ADDRESS_TEXT_MEMBERS = (
    "id",
    "contactName",
    "companyName",
    "street",
    "streetNumber",
    "streetAppendix",
    "extraLine1",
    "extraLine2",
    "extraLine3",
    "extraLine4",
    "zipCode",
    "city",
    "state",
    "contactPhone",
)
ADDRESS_MEMBERS = (*ADDRESS_TEXT_MEMBERS, "country", "isDefault", "tags", "mixins")

PROFILE_QUERY_FIELDS: dict[str, FieldSpec] = {
    "contactPhone": FieldSpec("contact_phone", FieldKind.STRING),
    "company": FieldSpec("company", FieldKind.STRING),
    "preferredSite": FieldSpec("preferred_site", FieldKind.STRING),
    "preferredLanguage": FieldSpec("preferred_language", FieldKind.STRING),
    "preferredCurrency": FieldSpec("preferred_currency", FieldKind.STRING),
    "active": FieldSpec("active", FieldKind.BOOLEAN),
    "onHold": FieldSpec("on_hold", FieldKind.BOOLEAN),
    "b2b.companyRegistrationId": FieldSpec("company_registration_id", FieldKind.STRING),
    # `addresses.country:DE` holds when any address is in DE (see the q compiler).
    "addresses": FieldSpec(
        "addresses",
        FieldKind.OBJECTS,
        sortable=False,
        members=tuple(member for member in ADDRESS_MEMBERS if member != "mixins"),
        list_members=("tags",),
    ),
}


def optional_text(value: Any, member: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Text of at most `max_length` characters; null (or absent) is empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(member, f"{member} must be a string.")
    if len(value) > max_length:
        raise invalid(member, f"{member} is longer than {max_length} characters.")
    return value


def _code(value: Any, member: str, pattern: re.Pattern[str], example: str) -> str:
    """An empty string or text in the format `pattern` describes."""
    text = optional_text(value, member, 16)
    if text and not pattern.fullmatch(text):
        raise invalid(member, f"{member} {text!r} is not valid: expected a code like {example}.")
    return text


def _flag(value: Any, member: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(member, f"{member} must be true or false.")
    return value


def _b2b(value: Any) -> str:
    """`b2b.companyRegistrationId` (B2BCreate of the spec); other members are refused."""
    b2b = clean_object(value, "b2b")
    for member in b2b:
        if member != "companyRegistrationId":
            raise invalid(f"b2b.{member}", f"Unknown b2b field: {member}.")
    return optional_text(b2b.get("companyRegistrationId"), "b2b.companyRegistrationId")


def _tags(value: Any, member: str) -> list[str]:
    if not isinstance(value, list):
        raise invalid(member, f"{member} must be an array of strings.")
    if len(value) > MAX_TAGS:
        raise invalid(member, f"{member} may hold at most {MAX_TAGS} tags.")
    tags = []
    for tag in value:
        if not isinstance(tag, str) or not tag:
            raise invalid(member, f"{member} must hold non-empty strings.")
        if len(tag) > MAX_TAG_LENGTH:
            raise invalid(member, f"A tag in {member} is longer than {MAX_TAG_LENGTH} characters.")
        tags.append(tag)
    return list(dict.fromkeys(tags))


def _address(value: Any, index: int) -> dict[str, Any]:
    """One address, its members in the rendered order; null members are left out and
    `isDefault` is always present."""
    where = f"addresses[{index}]"
    if not isinstance(value, dict):
        raise invalid(where, f"{where} must be an object.")
    unknown = sorted(set(value) - set(ADDRESS_MEMBERS))
    if unknown:
        raise invalid(f"{where}.{unknown[0]}", f"Unknown address field: {unknown[0]}.")
    address: dict[str, Any] = {}
    for member in ADDRESS_TEXT_MEMBERS:
        if value.get(member) is not None:
            length = MAX_PHONE_LENGTH if member == "contactPhone" else MAX_TEXT_LENGTH
            address[member] = optional_text(value[member], f"{where}.{member}", length)
    country = _code(value.get("country"), f"{where}.country", COUNTRY, "DE")
    if country:  # "" is no country, as null is
        address["country"] = country
    address["isDefault"] = _flag(value.get("isDefault"), f"{where}.isDefault", False)
    if value.get("tags") is not None:
        address["tags"] = _tags(value["tags"], f"{where}.tags")
    mixins = clean_object(value.get("mixins"), f"{where}.mixins")
    if len(repr(mixins)) > MAX_MIXINS_BYTES:
        raise invalid(f"{where}.mixins", f"mixins are larger than {MAX_MIXINS_BYTES} bytes.")
    if mixins:
        address["mixins"] = mixins
    return address


def _addresses(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("addresses", "addresses must be an array of address objects.")
    if len(value) > MAX_ADDRESSES:
        raise invalid("addresses", f"A customer may have at most {MAX_ADDRESSES} addresses.")
    addresses = [_address(item, index) for index, item in enumerate(value)]
    ids = [address["id"] for address in addresses if address.get("id")]
    if len(ids) != len(set(ids)):
        raise invalid("addresses", "Two addresses have the same id.")
    if sum(address["isDefault"] for address in addresses) > 1:
        raise invalid("addresses", "At most one address may be the default (isDefault).")
    return addresses


def address_in_order(address: dict[str, Any]) -> dict[str, Any]:
    """The address with its members in the order `ADDRESS_MEMBERS` names them (PostgreSQL's
    jsonb keeps its own order), so that both databases render it alike."""
    return {member: address[member] for member in ADDRESS_MEMBERS if member in address}


def profile_values(document: dict[str, Any]) -> dict[str, Any]:
    """The model values of the profile members of a customer document, or a 400 naming
    the member at fault. Absent or null members are empty text, `active` true, `onHold`
    false and no addresses."""
    return {
        "contact_phone": optional_text(
            document.get("contactPhone"), "contactPhone", MAX_PHONE_LENGTH
        ),
        "company": optional_text(document.get("company"), "company"),
        "company_registration_id": _b2b(document.get("b2b")),
        "preferred_site": optional_text(
            document.get("preferredSite"), "preferredSite", MAX_SITE_LENGTH
        ),
        "preferred_language": _code(
            document.get("preferredLanguage"), "preferredLanguage", LANGUAGE, "en or en_US"
        ),
        "preferred_currency": _code(
            document.get("preferredCurrency"), "preferredCurrency", CURRENCY, "EUR"
        ),
        "active": _flag(document.get("active"), "active", True),
        "on_hold": _flag(document.get("onHold"), "onHold", False),
        "addresses": _addresses(document.get("addresses")),
    }


def profile_members(customer: Customer) -> dict[str, Any]:
    """The profile members of the customer's document, in their order; `b2b` only when the
    customer has a company registration id."""
    members: dict[str, Any] = {
        "contactPhone": customer.contact_phone,
        "company": customer.company,
        "preferredSite": customer.preferred_site,
        "preferredLanguage": customer.preferred_language,
        "preferredCurrency": customer.preferred_currency,
        "active": customer.active,
        "onHold": customer.on_hold,
    }
    if customer.company_registration_id:
        members["b2b"] = {"companyRegistrationId": customer.company_registration_id}
    members["addresses"] = [address_in_order(address) for address in customer.addresses]
    return members
