"""One history: a form save records only what changed (in the audit trail and Django's log),
the object's History is the audit trail of that object, and the trail reads as text."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from segments.models import Segment
from segments_project.audit.models import AuditAction, AuditEvent

from .test_coupons import _gold_coupon
from .test_segment_form import _change_form, _change_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mixins", "metadata_mixins"),
    [({}, {}), ({"tier": {"level": 2, "since": 1.5}}, {"tier": "https://example.com/tier"})],
)
def test_a_name_change_records_only_the_name(superuser_client, shop, mixins, metadata_mixins):
    gold: Segment = shop["gold"]
    Segment.objects.filter(pk=gold.pk).update(mixins=mixins, metadata_mixins=metadata_mixins)
    gold.refresh_from_db()
    page = superuser_client.get(_change_url(gold)).context["adminform"].form
    shown = {name: page[name].value() for name in ("mixins", "metadata_mixins")}
    shown = {name: page.fields[name].prepare_value(value) for name, value in shown.items()}

    response = superuser_client.post(
        _change_url(gold), _change_form(gold, name__en="Gold members", **shown)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get(object_id=str(gold.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "Changed Name."
    event = AuditEvent.objects.get(document_id="gold", action=AuditAction.UPDATED)
    assert set(event.changes) == {"name"}


def test_a_save_without_changes_records_none(superuser_client, shop):
    gold: Segment = shop["gold"]

    response = superuser_client.post(_change_url(gold), _change_form(gold))

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get(object_id=str(gold.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "No fields changed."
    assert not AuditEvent.objects.filter(document_id="gold", action=AuditAction.UPDATED)


def test_history_opens_the_objects_audit_trail(superuser_client, shop):
    gold: Segment = shop["gold"]
    history = reverse("admin:segments_segment_history", args=[gold.pk])

    response = superuser_client.get(history)

    assert response.status_code == 302
    trail = superuser_client.get(response["Location"])
    assert trail.status_code == 200
    assert response["Location"].startswith(reverse("admin:audit_auditevent_changelist"))
    assert "document_type__exact=segment&document_id=gold" in response["Location"]


def test_the_history_a_merchandiser_without_the_audit_sees_is_djangos(merchandiser, shop):
    history = reverse("admin:segments_segment_history", args=[shop["gold"].pk])

    assert merchandiser.get(history).status_code == 200


def test_the_page_shows_the_latest_changes_readably(superuser_client, shop):
    gold: Segment = shop["gold"]
    long_text = "A very long description of the segment " * 10
    superuser_client.post(
        _change_url(gold),
        _change_form(
            gold,
            name__en="Gold members",
            description__add_language="en",
            description__add_text=long_text.strip(),
        ),
    )

    html = superuser_client.get(_change_url(gold)).content.decode()

    latest = html[html.index('id="latest-changes"') :]
    latest = latest[: latest.index("</table>")]
    assert "Gold customers (en), Goldkunden (de) → Gold members (en), Goldkunden (de)" in latest
    assert long_text.strip() + " (en)" in latest  # whole, not cut
    assert '{"en"' not in latest
    trail = superuser_client.get(reverse("admin:audit_auditevent_changelist"), {"q": "gold"})
    assert long_text.strip() in trail.content.decode()


def test_a_coupons_history_is_its_audit_trail_and_on_its_page(superuser_client, shop):
    coupon = _gold_coupon()
    history = reverse("admin:coupons_coupon_history", args=[coupon.pk])

    response = superuser_client.get(history)
    page = superuser_client.get(reverse("admin:coupons_coupon_change", args=[coupon.pk]))

    assert "document_type__exact=coupon&document_id=GOLD15" in response["Location"]
    latest = page.content.decode()
    assert 'id="latest-changes"' in latest and "15% for Gold" in latest
