"""The segment's add and change pages: one text field per language, the API's validation,
writes through the segment services, optimistic locking, a delete page that stays fast."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.urls import reverse

from segments.models import Segment, SegmentCustomerAssignment, SegmentItemAssignment
from tests.segments.factories import assign_customer, make_customer

from .conftest import TENANT

ADD = reverse("admin:segments_segment_add")

pytestmark = pytest.mark.django_db


def _change_url(segment: Segment) -> str:
    return reverse("admin:segments_segment_change", args=[segment.pk])


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "tenant": TENANT,
        "public_id": "vip",
        "name__add_language": "en",
        "name__add_text": "VIP customers",
        "description__add_language": "",
        "description__add_text": "",
        "status": "ACTIVE",
        "site_code": "main",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_to_0": "",
        "valid_to_1": "",
        "mixins": "",
        "metadata_mixins": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _change_form(segment: Segment, **overrides: Any) -> dict[str, Any]:
    data = _form(tenant=None, public_id=None, name__add_language="", name__add_text="")
    data.update({f"name__{code}": text for code, text in segment.name.items()})
    data["base_version"] = segment.version
    data["status"] = segment.status
    data["site_code"] = segment.site_code
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_adding_a_segment_goes_through_the_service_and_is_logged(
    merchandiser, shop, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        response = merchandiser.post(ADD, _form(mixins='{"tier": {"level": 2}}'))

    assert response.status_code == 302, response.context["adminform"].form.errors
    segment = Segment.objects.get(tenant_id=TENANT, public_id="vip")
    assert segment.name == {"en": "VIP customers"}
    assert segment.status == "ACTIVE"
    assert segment.mixins == {"tier": {"level": 2}}
    assert segment.version == 1
    # The service marked the segment's storefront answers stale.
    assert published == [(TENANT, frozenset({f"s:{segment.pk}", "S"}))]
    entry = LogEntry.objects.get(object_id=str(segment.pk))
    assert entry.action_flag == ADDITION
    assert entry.user.username == "merch"


def test_an_empty_id_is_generated(merchandiser, shop):
    response = merchandiser.post(ADD, _form(public_id=""))

    assert response.status_code == 302
    created = Segment.objects.filter(tenant_id=TENANT).exclude(public_id__in=["gold", "silver"])
    assert len(created.get().public_id) == 24


def test_the_change_page_has_one_input_per_language(merchandiser, shop):
    response = merchandiser.get(_change_url(shop["gold"]))

    html = response.content.decode()
    assert 'name="name__en" id="id_name__en" value="Gold customers"' in html
    assert 'name="name__de" id="id_name__de" value="Goldkunden"' in html
    assert 'name="name__add_language"' in html
    assert "German (de)" in html
    assert "2 members" in html and "2 items" in html


def test_changing_names_adds_and_removes_languages(merchandiser, shop):
    gold = shop["gold"]

    response = merchandiser.post(
        _change_url(gold),
        _change_form(
            gold,
            name__en="Gold members",
            name__de="",  # cleared: the German name goes
            name__add_language="FR",
            name__add_text="Clients or",
            description__add_language="en",
            description__add_text="Our best customers",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    gold.refresh_from_db()
    assert gold.name == {"en": "Gold members", "fr": "Clients or"}
    assert gold.description == {"en": "Our best customers"}
    assert gold.version == 2
    entry = LogEntry.objects.get(object_id=str(gold.pk), action_flag=CHANGE)
    assert "Name" in entry.get_change_message()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"valid_from_0": "2030-01-02", "valid_from_1": "00:00", "valid_to_0": "2030-01-01",
             "valid_to_1": "00:00"},
            "valid_to",
            "validity.from must not be after validity.to.",
        ),
        ({"site_code": ""}, "site_code", "This field is required."),
        ({"site_code": "x" * 65}, "site_code", "Ensure this value has at most 64 characters"),
        ({"name__add_language": "not a language"}, "name", "is not a language code"),
        ({"name__add_text": "  "}, "name", "Give a text in at least one language."),
        ({"public_id": "has space"}, "public_id", "id must be 1 to 128 characters"),
        ({"public_id": "gold"}, "public_id", "already has this id"),
        ({"mixins": "[1, 2]"}, "mixins", "Give a JSON object"),
    ],
)  # fmt: skip
def test_invalid_input_is_refused_with_the_apis_message(merchandiser, shop, overrides, field,
                                                         message):  # fmt: skip
    response = merchandiser.post(ADD, _form(**overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Segment.objects.filter(public_id="vip").exists()


@pytest.mark.parametrize(
    ("day", "time"), [("2021-02-29", "00:00"), ("2020-13-45", "00:00"), ("2021-01-01", "24:00")]
)
def test_an_impossible_date_is_an_error_on_its_field(merchandiser, shop, day, time):
    response = merchandiser.post(ADD, _form(valid_from_0=day, valid_from_1=time))

    assert response.status_code == 200
    assert "valid_from" in response.context["adminform"].form.errors
    assert not Segment.objects.filter(public_id="vip").exists()


def test_a_date_in_the_first_millennium_is_saved_as_given(merchandiser, shop):
    response = merchandiser.post(ADD, _form(valid_from_0="0001-01-01", valid_from_1="00:00"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Segment.objects.get(public_id="vip").valid_from.year == 1


@pytest.mark.parametrize(
    ("mixins", "message"),
    [
        ('{"a": "x\\u0000"}', "NUL character"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ('{"a": NaN}', "NaN is not valid JSON"),
        ('{"a": 1e400}', "too large"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested deeper than 32 levels"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested deeper than 32 levels"),
    ],
    ids=["nul", "lone-surrogate", "nan", "1e400", "deep", "100000-deep"],
)
def test_json_no_database_stores_is_an_error_on_its_field(merchandiser, shop, mixins, message):
    response = merchandiser.post(ADD, _form(mixins=mixins))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get("mixins", [])), errors
    assert not Segment.objects.filter(public_id="vip").exists()


def test_a_stale_form_does_not_overwrite_a_newer_version(merchandiser, shop):
    gold = shop["gold"]
    stale = _change_form(gold, name__en="Mine")
    Segment.objects.filter(pk=gold.pk).update(version=5, name={"en": "Theirs"})

    response = merchandiser.post(_change_url(gold), stale)

    assert response.status_code == 200
    assert "Someone else changed this since you opened it" in response.content.decode()
    gold.refresh_from_db()
    assert gold.name == {"en": "Theirs"}


def test_the_delete_page_counts_assignments_instead_of_listing_them(merchandiser, shop):
    gold = shop["gold"]
    for number in range(30):
        assign_customer(gold, make_customer(TENANT, f"member-{number}"))

    response = merchandiser.get(reverse("admin:segments_segment_delete", args=[gold.pk]))

    html = response.content.decode()
    assert "Member assignments: 32" in html
    assert "Item assignments: 2" in html
    assert "member-7" not in html


def test_deleting_removes_the_segment_with_its_assignments(merchandiser, shop):
    gold = shop["gold"]

    response = merchandiser.post(
        reverse("admin:segments_segment_delete", args=[gold.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Segment.objects.filter(pk=gold.pk).exists()
    assert not SegmentCustomerAssignment.objects.filter(segment_id=gold.pk).exists()
    assert not SegmentItemAssignment.objects.filter(segment_id=gold.pk).exists()
    assert LogEntry.objects.filter(object_id=str(gold.pk), action_flag=DELETION).exists()
