"""The customer profile (Emporix's customer members segments select on: contact, company,
b2b, preferences, active/onHold, addresses): validation, the round trip through every
write (PUT, PATCH, bulk, import) and export, and `q` over each member."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection

from segments.models import Customer
from segments_project.tenancy.models import Tenant

from ..conftest import OTHER_TENANT, TENANT, Caller
from ..imports import run_export, run_import, write_csv, write_jsonl
from .factories import NO_PROFILE

pytestmark = pytest.mark.django_db

CUSTOMERS = f"/customer/{TENANT}/customers"

BERLIN = {
    "id": "home",
    "contactName": "Ada Lovelace",
    "street": "Hauptstraße",
    "streetNumber": "1",
    "zipCode": "10115",
    "city": "Berlin",
    "country": "DE",
    "isDefault": True,
    "tags": ["billing", "shipping"],
}
VIENNA = {"city": "Wien", "country": "AT", "zipCode": "1010", "mixins": {"floor": 3}}
PROFILE = {
    "contactPhone": "+49 30 1234567",
    "company": "Analytical Engines GmbH",
    "b2b": {"companyRegistrationId": "HRB 1815"},
    "preferredSite": "main",
    "preferredLanguage": "de_DE",
    "preferredCurrency": "EUR",
    "active": True,
    "onHold": False,
    "addresses": [BERLIN, VIENNA],
}


def _profile(document: dict[str, Any]) -> dict[str, Any]:
    return {key: document[key] for key in (*NO_PROFILE, "b2b") if key in document}


def _put(caller: Caller, customer_id: str, body: dict[str, Any], expected=(201, 204)) -> None:
    response = caller.put(f"{CUSTOMERS}/{customer_id}", body)
    assert response.status_code in expected, response.json()


def _get(caller: Caller, customer_id: str) -> dict[str, Any]:
    return caller.get(f"{CUSTOMERS}/{customer_id}").json()


# --- round trips -------------------------------------------------------------------------------


def test_put_stores_the_profile_and_get_renders_it(manager):
    _put(manager, "ada", {"firstName": "Ada", **PROFILE})

    stored = _get(manager, "ada")

    vienna = {**VIENNA, "isDefault": False}
    assert _profile(stored) == {**PROFILE, "addresses": [BERLIN, vienna]}
    assert list(stored["addresses"][0]) == [
        "id", "contactName", "street", "streetNumber", "zipCode", "city", "country",
        "isDefault", "tags",
    ]  # fmt: skip
    assert stored["metadata"]["version"] == 1


def test_a_customer_without_a_profile_has_the_defaults_and_no_b2b(manager):
    _put(manager, "bob", {"addresses": None, "b2b": None, "active": None})

    assert _profile(_get(manager, "bob")) == NO_PROFILE


def test_null_and_empty_members_of_an_address_are_left_out(manager):
    address = {"city": None, "country": "", "tags": None, "mixins": {}, "street": ""}
    _put(manager, "bob", {"addresses": [address]})

    assert _get(manager, "bob")["addresses"] == [{"street": "", "isDefault": False}]


def test_put_replaces_the_profile_and_the_same_profile_keeps_the_version(manager):
    _put(manager, "ada", PROFILE)
    _put(manager, "ada", PROFILE, expected=(204,))
    assert _get(manager, "ada")["metadata"]["version"] == 1

    _put(manager, "ada", {"active": False}, expected=(204,))

    stored = _get(manager, "ada")
    assert _profile(stored) == {**NO_PROFILE, "active": False}
    assert stored["metadata"]["version"] == 2


def test_merge_patch_changes_the_named_members_only(manager):
    _put(manager, "ada", PROFILE)

    response = manager.patch(
        f"{CUSTOMERS}/ada",
        {"preferredLanguage": "en", "onHold": True, "b2b": None},
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 204
    stored = _get(manager, "ada")
    assert (stored["preferredLanguage"], stored["onHold"]) == ("en", True)
    assert "b2b" not in stored
    assert [address["city"] for address in stored["addresses"]] == ["Berlin", "Wien"]
    assert stored["metadata"]["version"] == 2


def test_json_patch_adds_an_address_and_a_tag(manager):
    _put(manager, "ada", PROFILE)

    response = manager.patch(
        f"{CUSTOMERS}/ada",
        [
            {"op": "add", "path": "/addresses/-", "value": {"country": "CH", "city": "Bern"}},
            {"op": "add", "path": "/addresses/1/tags", "value": ["office"]},
        ],
        content_type="application/json-patch+json",
    )

    assert response.status_code == 204
    addresses = _get(manager, "ada")["addresses"]
    assert addresses[1]["tags"] == ["office"]
    assert addresses[2] == {"city": "Bern", "country": "CH", "isDefault": False}


def test_a_patch_that_makes_the_profile_invalid_is_a_400_and_changes_nothing(manager):
    _put(manager, "ada", PROFILE)

    response = manager.patch(
        f"{CUSTOMERS}/ada",
        [{"op": "replace", "path": "/addresses/1/country", "value": "Austria"}],
        content_type="application/json-patch+json",
    )

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "addresses[1].country"
    assert _get(manager, "ada")["metadata"]["version"] == 1


def test_bulk_applies_the_valid_profiles_and_refuses_the_others_with_their_field(manager):
    response = manager.put(
        f"{CUSTOMERS}/bulk",
        [
            {"id": "a", **PROFILE},
            {"id": "b", "preferredCurrency": "euro"},
            {"id": "c", "addresses": [{"country": "DE", "tags": "vip"}]},
            {"id": "d", "onHold": True},
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["code"] for entry in entries] == [201, 400, 400, 201]
    assert "preferredCurrency" in entries[1]["message"]
    assert "addresses[0].tags" in entries[2]["message"]
    assert sorted(Customer.objects.values_list("public_id", flat=True)) == ["a", "d"]
    assert Customer.objects.get(public_id="d").on_hold is True


def test_import_and_export_carry_the_profile_in_both_formats(manager, tmp_path):
    """JSON Lines carries the members as they are; CSV a column per member, `b2b` as a
    dotted column and the addresses as a JSON array column (as `mixins` is an object one)."""
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    rows = [{"id": "ada", **PROFILE}, {"id": "bad", "addresses": [{"country": "de"}]}]
    errors = tmp_path / "errors.jsonl"
    run = run_import("customers", write_jsonl(tmp_path / "in.jsonl", rows), errors=str(errors))

    assert "inserted 1," in run.out and "rejected 1" in run.out, run.out
    assert "addresses[0].country 'de' is not valid" in errors.read_text()
    ada = _get(manager, "ada")
    assert _profile(ada) == _profile(
        {**PROFILE, "addresses": [BERLIN, {**VIENNA, "isDefault": False}]}
    )

    for extension in ("csv", "jsonl"):
        exported = tmp_path / f"out.{extension}"
        run_export("customers", exported)
        assert run_import("customers", exported, tenant=OTHER_TENANT).ok
        other = Customer.objects.get(tenant_id=OTHER_TENANT, public_id="ada")
        assert other.addresses == Customer.objects.get(tenant_id=TENANT, public_id="ada").addresses
        assert (other.company_registration_id, other.preferred_language) == ("HRB 1815", "de_DE")
        Customer.objects.filter(tenant_id=OTHER_TENANT).delete()


def test_a_csv_row_with_a_bad_profile_cell_is_rejected_with_the_apis_message(manager, tmp_path):
    header = ["id", "active", "preferredLanguage", "addresses"]
    path = write_csv(
        tmp_path / "in.csv",
        header,
        [
            ["ok", "false", "fr_FR", json.dumps([{"country": "FR", "city": "Lyon"}])],
            ["bad-flag", "maybe", "", ""],
            ["bad-json", "", "", "[{"],
        ],
    )
    errors = tmp_path / "errors.jsonl"

    run = run_import("customers", path, errors=str(errors))

    assert "inserted 1," in run.out and "rejected 2" in run.out, run.out
    reasons = errors.read_text()
    assert "active must be true or false" in reasons
    assert "addresses is not valid JSON" in reasons
    ok = Customer.objects.get(public_id="ok")
    assert (ok.active, ok.preferred_language) == (False, "fr_FR")
    assert ok.addresses == [{"city": "Lyon", "country": "FR", "isDefault": False}]


def test_a_row_inserted_by_sql_without_the_profile_has_the_defaults(manager):
    """The database has the defaults too (the benchmarks insert customers by SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Customer._meta.db_table} (tenant_id, public_id, mixins, "
            "metadata_mixins, version, created_at, modified_at, first_name, last_name, email) "
            "VALUES (%s, 'raw', '{}', '{}', 1, %s, %s, '', '', '')",
            [TENANT, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
        )

    assert _profile(_get(manager, "raw")) == NO_PROFILE


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "value", "field"),
    [
        ("contactPhone", 12345, "contactPhone"),
        ("contactPhone", "1" * 65, "contactPhone"),
        ("company", ["Acme"], "company"),
        ("company", "x" * 256, "company"),
        ("preferredSite", "s" * 65, "preferredSite"),
        ("preferredLanguage", "german", "preferredLanguage"),
        ("preferredLanguage", "de-DE", "preferredLanguage"),
        ("preferredLanguage", "DE", "preferredLanguage"),
        ("preferredCurrency", "eur", "preferredCurrency"),
        ("preferredCurrency", "EURO", "preferredCurrency"),
        ("preferredCurrency", 978, "preferredCurrency"),
        ("active", "yes", "active"),
        ("onHold", 1, "onHold"),
        ("b2b", "HRB 1", "b2b"),
        ("b2b", {"companyRegistrationId": 7}, "b2b.companyRegistrationId"),
        ("b2b", {"vatId": "DE1"}, "b2b.vatId"),
        ("addresses", {"country": "DE"}, "addresses"),
        ("addresses", [{"country": "DE"}] * 21, "addresses"),
        ("addresses", ["Berlin"], "addresses[0]"),
        ("addresses", [{}, {"country": "Deutschland"}], "addresses[1].country"),
        ("addresses", [{"country": "de"}], "addresses[0].country"),
        ("addresses", [{"city": 10115}], "addresses[0].city"),
        ("addresses", [{"zipCode": "1" * 256}], "addresses[0].zipCode"),
        ("addresses", [{"isDefault": "true"}], "addresses[0].isDefault"),
        ("addresses", [{"tags": "vip"}], "addresses[0].tags"),
        ("addresses", [{"tags": ["ok", ""]}], "addresses[0].tags"),
        ("addresses", [{"tags": ["t"] * 51}], "addresses[0].tags"),
        ("addresses", [{"mixins": []}], "addresses[0].mixins"),
        ("addresses", [{"mixins": {"x": "y" * 70_000}}], "addresses[0].mixins"),
        ("addresses", [{"planet": "Earth"}], "addresses[0].planet"),
        ("addresses", [{"isDefault": True}, {"isDefault": True}], "addresses"),
        ("addresses", [{"id": "a"}, {"id": "a"}], "addresses"),
    ],
)
def test_a_bad_profile_member_is_a_400_naming_it_and_stores_nothing(manager, member, value, field):
    response = manager.put(f"{CUSTOMERS}/ada", {member: value})

    assert response.status_code == 400, response.json()
    body = response.json()
    assert (body["code"], body["status"]) == (400, "Bad Request")
    assert body["details"][0]["field"] == field
    assert not Customer.objects.exists()


# --- q -------------------------------------------------------------------------------------------


@pytest.fixture
def directory(manager) -> Caller:
    """Five customers with different profiles (and one of another tenant, in DE)."""
    profiles = {
        "c1": {**PROFILE, "mixins": {"loyalty": {"points": 700}}},
        "c2": {
            "preferredLanguage": "en",
            "preferredCurrency": "GBP",
            "preferredSite": "outlet",
            "addresses": [{"country": "GB", "city": "London", "tags": ["billing"]}],
            "mixins": {"loyalty": {"points": 300}},
        },
        "c3": {
            "active": False,
            "preferredLanguage": "de",
            "company": "Wolf AG",
            "addresses": [{"country": "DE", "city": "Köln", "isDefault": True}],
        },
        "c4": {"onHold": True, "contactPhone": "+43 1 999", "preferredCurrency": "EUR"},
        "c5": {"preferredLanguage": "fr_FR", "addresses": [VIENNA]},
    }
    for customer_id, body in profiles.items():
        _put(manager, customer_id, body)
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    Customer.objects.create(
        tenant_id=OTHER_TENANT,
        public_id="c9",
        addresses=[{"country": "DE", "isDefault": True}],
        created_at="2026-01-01T00:00:00Z",
        modified_at="2026-01-01T00:00:00Z",
    )
    return manager


def _ids(caller: Caller, q: str, **params: str) -> list[str]:
    response = caller.get(f"{CUSTOMERS}?{urlencode({'q': q, **params})}")
    assert response.status_code == 200, response.json()
    return [document["id"] for document in response.json()]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("preferredLanguage:(de,en)", ["c2", "c3"]),
        ("preferredLanguage:~^de", ["c1", "c3"]),
        ("preferredCurrency:EUR", ["c1", "c4"]),
        ("preferredSite:outlet", ["c2"]),
        ("active:true", ["c1", "c2", "c4", "c5"]),
        ("active:false", ["c3"]),
        ("onHold:true", ["c4"]),
        ("company:~AG$", ["c3"]),
        ('contactPhone:"+43 1 999"', ["c4"]),
        ('b2b.companyRegistrationId:"HRB 1815"', ["c1"]),
        ("addresses.country:DE", ["c1", "c3"]),
        ("addresses.country:(AT,GB)", ["c1", "c2", "c5"]),
        ("addresses.city:Köln", ["c3"]),
        ('addresses.zipCode:<"2"', ["c1", "c5"]),
        ("addresses.isDefault:true", ["c1", "c3"]),
        ("addresses.tags:billing", ["c1", "c2"]),
        ("addresses.tags:shipping addresses.country:DE", ["c1"]),
        ("addresses.country:DE mixins.loyalty.points:>=500 preferredLanguage:(de,de_DE)", ["c1"]),
        ("mixins.loyalty.points:<500", ["c2"]),
    ],
)
def test_q_filters_on_every_profile_member(directory, q, expected):
    assert _ids(directory, q) == expected


def test_profile_members_sort(directory):
    assert _ids(directory, "", sort="preferredLanguage:desc,id") == ["c5", "c2", "c1", "c3", "c4"]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("addresses.planet:Mars", "name one of addresses.id"),
        ("active:maybe", "expected true or false"),
        ("onHold:>true", "comparisons and ranges are not supported"),
    ],
)
def test_a_bad_profile_condition_is_a_400(directory, q, message):
    response = directory.get(f"{CUSTOMERS}?{urlencode({'q': q})}")

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_q_on_addresses_never_finds_another_tenants_customers(directory, outsider):
    assert "c9" not in _ids(directory, "addresses.country:DE")
    response = outsider.get(
        f"/customer/{OTHER_TENANT}/customers?{urlencode({'q': 'addresses.country:DE'})}"
    )
    assert [document["id"] for document in response.json()] == ["c9"]


@pytest.mark.parametrize(
    "q",
    [
        "addresses.country:(DE,AT) preferredLanguage:(de,de_DE) active:true",
        'addresses.tags:billing addresses.zipCode:>"1" mixins.loyalty.points:>=0',
    ],
)
def test_a_page_filtered_by_profile_members_takes_a_constant_number_of_queries(
    manager, django_assert_max_num_queries, q
):
    for index in range(40):
        _put(manager, f"p{index:02d}", {**PROFILE, "mixins": {"loyalty": {"points": index}}})

    # token lookup + page + legal entity ids of the page + count
    with django_assert_max_num_queries(4):
        response = manager.get(
            f"{CUSTOMERS}?{urlencode({'q': q, 'pageSize': 100})}",
            headers={"X-Total-Count": "true"},
        )

    assert response.status_code == 200
    assert len(response.json()) == int(response["X-Total-Count"]) == 40
