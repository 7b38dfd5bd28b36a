"""`export_data` writes what `import_data` reads: import -> export -> import into another
tenant -> export again gives the same files, for every kind and format."""

from __future__ import annotations

import json

import pytest

from segments.models import Customer

from . import OTHER_TENANT, TENANT, make_tenants, run_export, run_import, snapshot, write_jsonl

pytestmark = pytest.mark.django_db

# In dependency order: what a kind refers to is imported before it.
SOURCE: dict[str, list[dict]] = {
    "legal-entities": [
        {"id": "le1", "name": "Acme Corp", "mixins": {"vat": "DE1"}},
        {"id": "le2", "name": "Beta GmbH"},
    ],
    "customers": [
        {"id": "c1", "firstName": "Ann", "email": "ann@example.com", "legalEntityIds": ["le1"]},
        {"id": "c2", "lastName": "Bo", "legalEntityIds": ["le2", "le1"]},
        {
            "id": "c3",
            "contactPhone": "+49 30 1234",
            "company": 'Gamma, "the" company',
            "b2b": {"companyRegistrationId": "HRB 42"},
            "preferredSite": "main",
            "preferredLanguage": "de_DE",
            "preferredCurrency": "EUR",
            "active": False,
            "onHold": True,
            "addresses": [
                {"city": "Köln", "country": "DE", "zipCode": "50667", "tags": ["billing"]},
                {"id": "a2", "city": "Wien", "country": "AT", "isDefault": True},
            ],
        },
    ],
    "categories": [
        {"id": "shoes", "parentId": "all", "localizedName": {"en": "Shoes", "de": "Schuhe"}},
        {
            "id": "all",
            "code": "ALL",
            "localizedName": {"en": "All"},
            "localizedSlug": {"en": "all"},
            "ecn": ["E1", "E2"],
            "published": True,
            "validity": {"from": "2025-01-01T00:00:00.000Z"},
            "metadata": {"mixins": {"seo": "https://schemas.example/seo.json"}},
            "mixins": {"seo": {"title": 'Everything, "quoted", with, commas'}},
        },
        {"id": "boots", "parentId": "shoes", "localizedName": {"fr": "Bottes"}, "position": 3},
    ],
    "products": [
        {"id": "p1", "code": "P-1", "name": {"en": "Boot", "de": "Stiefel"}, "published": False},
        {"id": "p2", "name": {"en": "Line\nbreak"}, "mixins": {"sizes": [40, 41]}},
    ],
    "product-categories": [
        {"productId": "p1", "categoryId": "boots"},
        {"productId": "p2", "categoryId": "shoes"},
        {"productId": "p1", "categoryId": "all"},
    ],
    "segments": [
        {
            "id": "gold",
            "name": {"en": "Gold", "de": "Gold"},
            "description": {"en": "The best"},
            "status": "ACTIVE",
            "siteCode": "main",
            "validity": {"from": "2025-01-01T00:00:00.000Z", "to": "2030-01-01T00:00:00.000Z"},
        },
        {"id": "silver", "name": {"en": "Silver"}, "siteCode": "main"},
    ],
    "segment-items": [
        {"segmentId": "gold", "type": "PRODUCT", "itemId": "p1", "mixins": {"rank": 1}},
        {"segmentId": "gold", "type": "CATEGORY", "itemId": "shoes"},
        {"segmentId": "silver", "type": "PRODUCT", "itemId": "p2"},
    ],
    "segment-customers": [
        {"segmentId": "gold", "customerId": "c1"},
        {"segmentId": "gold", "customerId": "c1", "legalEntityId": "le1", "mixins": {"a": 1}},
        {"segmentId": "silver", "customerId": "c2", "legalEntityId": "le2"},
        {"segmentId": "silver", "customerId": "c3"},
    ],
}


@pytest.fixture(autouse=True)
def _tenants():
    make_tenants(TENANT, OTHER_TENANT)


@pytest.mark.parametrize("extension", ["csv", "jsonl", "csv.gz", "ndjson.gz"])
def test_every_kind_round_trips_through_another_tenant(tmp_path, extension):
    for kind, documents in SOURCE.items():
        assert run_import(kind, write_jsonl(tmp_path / f"{kind}.src.jsonl", documents)).ok

    for kind in SOURCE:
        first = tmp_path / f"{kind}.first.{extension}"
        second = tmp_path / f"{kind}.second.{extension}"
        run_export(kind, first)
        imported = run_import(kind, first, tenant=OTHER_TENANT)
        assert imported.ok, (kind, imported.out)
        assert f"inserted {len(SOURCE[kind])}," in imported.out
        run_export(kind, second, tenant=OTHER_TENANT)

        assert first.read_bytes() == second.read_bytes(), kind

    # And back into the first tenant: everything is already so.
    for kind in SOURCE:
        before = snapshot()
        again = run_import(kind, tmp_path / f"{kind}.second.{extension}")
        assert f"unchanged {len(SOURCE[kind])}," in again.out, kind
        assert snapshot() == before


def test_exported_documents_are_the_documents_a_write_sends(tmp_path):
    for kind in ("legal-entities", "customers", "categories"):
        assert run_import(kind, write_jsonl(tmp_path / f"{kind}.jsonl", SOURCE[kind])).ok

    exported = run_export("categories", "-", format="jsonl")
    documents = {document["id"]: document for document in map(json.loads, exported.splitlines())}

    assert documents["all"] == {
        "id": "all",
        "localizedName": {"en": "All"},
        "position": 0,
        "published": True,
        "code": "ALL",
        "localizedSlug": {"en": "all"},
        "ecn": ["E1", "E2"],
        "validity": {"from": "2025-01-01T00:00:00.000Z"},
        "mixins": {"seo": {"title": 'Everything, "quoted", with, commas'}},
        "metadata": {"mixins": {"seo": "https://schemas.example/seo.json"}},
    }
    assert list(exported.splitlines()[0:1]) == [json.dumps(documents["all"], separators=(",", ":"))]
    customers = run_export("customers", "-", format="csv").splitlines()
    assert customers[0] == (
        "id,firstName,lastName,email,contactPhone,company,b2b.companyRegistrationId,"
        "preferredSite,preferredLanguage,preferredCurrency,active,onHold,addresses,"
        "legalEntityIds,mixins,metadata.mixins"
    )
    assert customers[2] == 'c2,,Bo,,,,,,,,true,false,,"[""le1"",""le2""]",,'
    assert customers[3] == (
        'c3,,,,+49 30 1234,"Gamma, ""the"" company",HRB 42,main,de_DE,EUR,false,true,'
        '"[{""city"":""Köln"",""country"":""DE"",""isDefault"":false,""tags"":[""billing""],'
        '""zipCode"":""50667""},{""city"":""Wien"",""country"":""AT"",""id"":""a2"",'
        '""isDefault"":true}]",,,'
    )
    exported = run_export("customers", "-", format="jsonl")
    documents = {d["id"]: d for d in map(json.loads, exported.splitlines())}
    assert documents["c3"]["addresses"][1] == {
        "id": "a2",
        "city": "Wien",
        "country": "AT",
        "isDefault": True,
    }
    assert Customer.objects.filter(tenant_id=TENANT).count() == 3
