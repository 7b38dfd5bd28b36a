"""Each document type with a `q` list is declared in up to four places that must name the
same fields: the `q` fields (`*_QUERY_FIELDS`), the rendered document (what `fields=`
projects), the OpenAPI response component, and the CSV columns of its export
(`EXPORTERS.get(kind).layout`; coupons and redemptions have no export).

A field added to one and not the others fails here. Deliberate differences are named in
each type's `absent` as (source, path) with the reason; an exception that no longer holds
fails too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from catalog.documents.categories import CATEGORY_QUERY_FIELDS
from catalog.documents.products import PRODUCT_QUERY_FIELDS
from coupons.documents.coupons import COUPON_QUERY_FIELDS
from coupons.documents.redemptions import REDEMPTION_QUERY_FIELDS
from segments.documents.directory import CUSTOMER_QUERY_FIELDS, LEGAL_ENTITY_QUERY_FIELDS
from segments.documents.items import ITEM_ASSIGNMENT_QUERY_FIELDS
from segments.documents.members import CUSTOMER_ASSIGNMENT_QUERY_FIELDS
from segments.documents.segments import SEGMENT_QUERY_FIELDS
from segments_project.api.query import FieldSpec

# The apps register their exporters (catalog.exporters, segments.exporters) by kind.
from segments_project.imports.kinds import EXPORTERS

from ..catalog.factories import make_category, make_product
from ..conftest import TENANT, Caller
from ..schema_conformance import openapi_schema
from ..segments.factories import assign_customer, assign_item, make_segment

pytestmark = pytest.mark.django_db

Q, DOCUMENT, OPENAPI, CSV = "q", "document", "openapi", "csv"


def absent(sources: tuple[str, ...], paths: tuple[str, ...], reason: str) -> dict:
    """Named exceptions: each of `paths` is deliberately missing from each of `sources`."""
    return {(source, path): reason for source in sources for path in paths}


# An export row is what an import writes: version and timestamps belong to the database
# the row lands in (segments_project/imports/exporters.py).
STORED_METADATA = absent(
    (CSV,),
    ("metadata.version", "metadata.createdAt", "metadata.modifiedAt"),
    "stored metadata is not exported",
)
# An item or customer assignment's export row is the import's flat row (segmentId and the
# ids), while the API nests a summary of the item, customer and legal entity, read from
# their own rows.
NESTED_SUMMARY = "a summary of the referenced row, rendered by the API, never imported"
LIST_MEMBER = "a JSON list: q addresses JSON members by key and has no operator for elements"


@dataclass(frozen=True)
class DocumentType:
    name: str
    query_fields: Mapping[str, FieldSpec]
    component: str
    render: Callable[[Caller], dict[str, Any]]
    export_kind: str | None = None
    # (source, path) -> why the path is deliberately absent from that source.
    absent: Mapping[tuple[str, str], str] = field(default_factory=dict)


WHEN = {"from": "2024-01-01T00:00:00.000Z", "to": "2030-01-01T00:00:00.000Z"}
MIXINS = {"mixins": {"color": "red"}, "metadata": {"mixins": {"color": "https://x.test/c"}}}


def _created(caller: Caller, collection: str, body: dict[str, Any]) -> dict[str, Any]:
    response = caller.post(collection, body)
    assert response.status_code == 201, response.json()
    answer = caller.get(f"{collection}/{response.json()['id']}")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def _put(caller: Caller, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = caller.put(url, body)
    assert response.status_code in (201, 204), response.json()
    answer = caller.get(url)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def render_segment(caller: Caller) -> dict[str, Any]:
    body = {"id": "gold", "name": {"en": "Gold"}, "description": {"en": "Best"}}
    body |= {"validity": WHEN, "status": "ACTIVE", "siteCode": "main", **MIXINS}
    body |= {"criteria": {"q": "addresses.country:DE", "legalEntities": "name:Acme"}}
    return _created(caller, f"/customer-segment/{TENANT}/segments", body)


def render_product(caller: Caller) -> dict[str, Any]:
    body = {"id": "p1", "code": "P-1", "name": {"en": "Drill"}, "published": True, **MIXINS}
    return _created(caller, f"/product/{TENANT}/products", body)


def render_category(caller: Caller) -> dict[str, Any]:
    collection = f"/category/{TENANT}/categories"
    _created(caller, collection, {"id": "tools", "localizedName": {"en": "Tools"}})
    body = {"id": "power", "parentId": "tools", "code": "C-1", "ecn": ["4711"], "position": 1}
    body |= {"localizedName": {"en": "Power"}, "localizedDescription": {"en": "Power tools"}}
    body |= {"localizedSlug": {"en": "power"}, "validity": WHEN, "published": True, **MIXINS}
    return _created(caller, collection, body)


def render_legal_entity(caller: Caller) -> dict[str, Any]:
    url = f"/customer/{TENANT}/legal-entities/acme"
    return _put(caller, url, {"name": "Acme", **MIXINS})


def render_customer(caller: Caller) -> dict[str, Any]:
    render_legal_entity(caller)
    body = {"firstName": "Ada", "lastName": "L", "email": "ada@x.test"}
    body |= {"contactPhone": "+49 30 1234", "company": "Acme", "preferredSite": "main"}
    body |= {"preferredLanguage": "de_DE", "preferredCurrency": "EUR", "active": True}
    body |= {"onHold": False, "b2b": {"companyRegistrationId": "HRB 1"}}
    body |= {"addresses": [{"country": "DE", "city": "Berlin", "tags": ["billing"]}]}
    body |= {"legalEntityIds": ["acme"], **MIXINS}
    return _put(caller, f"/customer/{TENANT}/customers/c1", body)


def render_coupon(caller: Caller) -> list[dict[str, Any]]:
    """A percent coupon for customers and an absolute one for segments and categories."""
    make_segment(TENANT, "gold")
    make_category(TENANT, "tools")
    make_category(TENANT, "garden")
    percent = {
        "code": "GOLD15",
        "name": "15% for Gold",
        "description": "Gold members",
        "discountType": "PERCENT",
        "discountPercentage": 15,
        "allowAnonymous": False,
        "maxRedemptions": 10,
        "maxRedemptionsPerCustomer": 1,
        "issuedTo": "c1",
        "restrictions": {
            "validFrom": WHEN["from"],
            "validUntil": WHEN["to"],
            "minOrderValue": {"amount": 20, "currency": "EUR"},
            "validFor": ["c1"],
        },
        **MIXINS,
    }
    absolute = {
        "code": "TENOFF",
        "name": "Ten off",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 10, "currency": "EUR"},
        "segmentRestricted": True,
        "restrictions": {"segments": ["gold"]},
    }
    categories = {
        "code": "TOOLS5",
        "name": "Tools",
        "discountType": "ABSOLUTE",
        "discountAbsolute": {"amount": 5, "currency": "EUR"},
        "categoryRestricted": True,
        "restrictions": {"includedCategories": ["tools"], "excludedCategories": ["garden"]},
    }
    collection = f"/coupon/{TENANT}/coupons"
    return [_created(caller, collection, body) for body in (percent, absolute, categories)]


def render_redemption(caller: Caller) -> dict[str, Any]:
    """A B2B redemption with every optional member."""
    render_customer(caller)
    coupons = f"/coupon/{TENANT}/coupons"
    body = {"code": "TENOFF", "name": "Ten off", "discountType": "ABSOLUTE"}
    _created(caller, coupons, {**body, "discountAbsolute": {"amount": 10, "currency": "EUR"}})
    redemption = {
        "customerNumber": "c1",
        "legalEntityId": "acme",
        "orderCode": "o-1",
        "siteCode": "main",
        "orderTotal": {"amount": 50, "currency": "EUR"},
        "discount": {"amount": 10, "currency": "EUR"},
    }
    return _created(caller, f"{coupons}/TENOFF/redemptions", redemption)


def _with_mixins(assignment: Any) -> None:
    assignment.mixins = MIXINS["mixins"]
    assignment.metadata_mixins = MIXINS["metadata"]["mixins"]
    assignment.save(update_fields=["mixins", "metadata_mixins"])


def render_item_assignment(caller: Caller) -> dict[str, Any]:
    render_segment(caller)
    from segments.models import Segment

    assignment = assign_item(
        Segment.objects.get(public_id="gold"), make_product(TENANT, "p9", code="P-9")
    )
    _with_mixins(assignment)
    answer = caller.get(f"/customer-segment/{TENANT}/segments/gold/items")
    return answer.json()[0]


def render_customer_assignment(caller: Caller) -> dict[str, Any]:
    render_customer(caller)
    render_segment(caller)
    from segments.models import Customer, LegalEntity, Segment

    assignment = assign_customer(
        Segment.objects.get(public_id="gold"),
        Customer.objects.get(public_id="c1"),
        LegalEntity.objects.get(public_id="acme"),
    )
    _with_mixins(assignment)
    answer = caller.get(f"/customer-segment/{TENANT}/segments/gold/customers")
    return answer.json()[0]


TYPES = [
    DocumentType(
        "segment",
        SEGMENT_QUERY_FIELDS,
        "SegmentResponse",
        render_segment,
        "segments",
        absent={
            **STORED_METADATA,
            **absent(
                (Q,),
                ("criteria.q", "criteria.legalEntities"),
                "q texts themselves: a list asks which customers a rule selects (the "
                "preview, the members), not which rules mention some field",
            ),
        },
    ),
    DocumentType(
        "product",
        PRODUCT_QUERY_FIELDS,
        "ProductResponse",
        render_product,
        "products",
        absent=STORED_METADATA,
    ),
    DocumentType(
        "category",
        CATEGORY_QUERY_FIELDS,
        "CategoryResponse",
        render_category,
        "categories",
        absent={
            **STORED_METADATA,
            **absent((Q,), ("ecn",), LIST_MEMBER),
            **absent(
                (Q, CSV),
                ("media",),
                "always rendered empty: media are not managed through categories",
            ),
        },
    ),
    DocumentType(
        "customer",
        CUSTOMER_QUERY_FIELDS,
        "CustomerResponse",
        render_customer,
        "customers",
        absent=STORED_METADATA,
    ),
    DocumentType(
        "legal entity",
        LEGAL_ENTITY_QUERY_FIELDS,
        "LegalEntityResponse",
        render_legal_entity,
        "legal-entities",
        absent=STORED_METADATA,
    ),
    DocumentType(
        "coupon",
        COUPON_QUERY_FIELDS,
        "CouponResponse",
        render_coupon,
        absent={
            **absent(
                (Q,),
                (
                    "restrictions.segments",
                    "restrictions.includedCategories",
                    "restrictions.excludedCategories",
                    "restrictions.validFor",
                ),
                LIST_MEMBER,
            ),
            **absent(
                (Q,),
                ("legalEntityRedemptions",),
                "counted from the redemptions per page, not a column",
            ),
        },
    ),
    DocumentType(
        "redemption",
        REDEMPTION_QUERY_FIELDS,
        "RedemptionResponse",
        render_redemption,
        absent=absent(
            (Q,), ("code",), "the list is of one coupon's redemptions (its code is in the path)"
        ),
    ),
    DocumentType(
        "item assignment",
        ITEM_ASSIGNMENT_QUERY_FIELDS,
        "ItemAssignmentResponse",
        render_item_assignment,
        "segment-items",
        absent={
            **STORED_METADATA,
            **absent((Q, OPENAPI, DOCUMENT), ("itemId",), "the export row's name of item.id"),
            **absent((CSV,), ("item.id",), "exported as itemId"),
            **absent((CSV,), ("item.code", "item.name"), NESTED_SUMMARY),
        },
    ),
    DocumentType(
        "customer assignment",
        CUSTOMER_ASSIGNMENT_QUERY_FIELDS,
        "CustomerAssignmentResponse",
        render_customer_assignment,
        "segment-customers",
        absent={
            **STORED_METADATA,
            **absent(
                (Q, OPENAPI, DOCUMENT),
                ("segmentId",),
                "the API lists one segment's customers (the segment is in the path); an "
                "export row may be of any segment",
            ),
            **absent(
                (OPENAPI, DOCUMENT),
                ("customerId", "legalEntityId"),
                "q also takes the export row's flat names for customer.id and legalEntity.id",
            ),
            **absent(
                (CSV,), ("customer.id", "legalEntity.id"), "exported as customerId, legalEntityId"
            ),
            **absent(
                (CSV,),
                ("customer.email", "customer.firstName", "customer.lastName", "legalEntity.name"),
                NESTED_SUMMARY,
            ),
            **absent(
                (CSV,),
                ("assignmentType",),
                "set by the writer (MANUAL for API and import writes), not a column",
            ),
        },
    ),
]


def _component_paths(name: str) -> set[str]:
    """Dotted paths of a component's properties; nested components are expanded, maps
    (additionalProperties) and arrays are leaves."""
    components = openapi_schema()["components"]["schemas"]
    paths = set()
    for member, schema in components[name].get("properties", {}).items():
        ref = schema.get("$ref") or next(
            (part["$ref"] for part in schema.get("allOf", []) if "$ref" in part), None
        )
        target = components[ref.rsplit("/", 1)[1]] if ref else schema
        if target.get("properties"):
            sub = ref.rsplit("/", 1)[1] if ref else None
            nested = _component_paths(sub) if sub else set(target["properties"])
            paths |= {f"{member}.{path}" for path in nested}
        else:
            paths.add(member)
    return paths


def _flatten(document: dict[str, Any], structured: set[str], prefix: str = "") -> set[str]:
    paths = set()
    for member, value in document.items():
        path = f"{prefix}{member}"
        if path in structured and isinstance(value, dict):
            paths |= _flatten(value, structured, f"{path}.")
        else:
            paths.add(path)
    return paths


def _prefixes(paths: set[str]) -> set[str]:
    return {path.rsplit(".", i)[0] for path in paths for i in range(1, path.count(".") + 1)}


def _documents(kind: DocumentType, caller: Caller) -> list[dict[str, Any]]:
    rendered = kind.render(caller)
    return rendered if isinstance(rendered, list) else [rendered]


def sources(kind: DocumentType, caller: Caller) -> dict[str, set[str]]:
    openapi = _component_paths(kind.component)
    found = {
        Q: set(kind.query_fields),
        OPENAPI: openapi,
        DOCUMENT: set().union(*(_flatten(d, _prefixes(openapi)) for d in _documents(kind, caller))),
    }
    if kind.export_kind is not None:
        found[CSV] = {column.path for column in EXPORTERS.get(kind.export_kind).layout.fields}
    return found


@pytest.mark.parametrize("kind", TYPES, ids=lambda kind: kind.name)
def test_every_source_names_the_same_fields(kind, manager):
    found = sources(kind, manager)
    everything = set().union(*found.values())
    missing = {
        source: sorted(everything - paths - {p for (s, p) in kind.absent if s == source})
        for source, paths in found.items()
    }
    missing = {source: paths for source, paths in missing.items() if paths}
    assert missing == {}, f"{kind.name}: fields missing from a source: {missing}"


@pytest.mark.parametrize("kind", TYPES, ids=lambda kind: kind.name)
def test_every_named_exception_still_holds(kind, manager):
    """An exception whose field came back, or never existed, is removed, not kept."""
    found = sources(kind, manager)
    everything = set().union(*found.values())
    stale = {
        (source, path)
        for source, path in kind.absent
        if source not in found or path in found[source] or path not in everything
    }
    assert stale == set(), f"{kind.name}: exceptions that no longer hold: {sorted(stale)}"
