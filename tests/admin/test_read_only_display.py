"""Fields shown read-only read as text: localized names as one line per language and id
lists as lists for viewers (not the JSON the database holds), and with the form's labels."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _change(model: str, obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{model}_change", args=[obj.pk])


def test_a_viewer_reads_localized_names_one_language_per_line(viewer, shop):
    html = viewer.get(_change("segment", shop["gold"])).content.decode()

    assert "<li>English (en): Gold customers</li>" in html
    assert "<li>German (de): Goldkunden</li>" in html
    assert "{&quot;en&quot;" not in html
    # The model's help text describes the storage, the form's tells editors what to type.
    assert "Language code to name." not in html
    assert "Clear a text to remove that language" not in html


def test_a_viewer_reads_a_categorys_numbers_as_a_list(viewer, shop):
    shirts = shop["categories"]["shirts"]
    shirts.ecn = ["4711", "0815"]
    shirts.save()

    html = viewer.get(_change("category", shirts)).content.decode()

    assert "4711, 0815" in html
    assert "<li>English (en): Shirts</li>" in html


def test_editors_keep_the_editable_widgets(merchandiser, shop):
    html = merchandiser.get(_change("segment", shop["gold"])).content.decode()

    assert 'name="name__en"' in html
    assert "<li>English (en): Gold customers</li>" not in html


def test_read_only_fields_carry_the_forms_labels(merchandiser, shop):
    html = merchandiser.get(_change("segment", shop["gold"])).content.decode()

    assert "<label>ID:</label>" in html
    assert "<label>Id:</label>" not in html


def test_a_viewer_reads_a_customers_legal_entities(viewer, shop):
    response = viewer.get(_change("customer", shop["bob"]))

    assert response.status_code == 200
    assert "acme/acme-corp" in response.content.decode()
