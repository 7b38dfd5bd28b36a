"""The segment's pages link to its audit trail, for users who may read the trail."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ("change", "members", "items")


def _page(client, name: str, segment) -> str:
    response = client.get(reverse(f"admin:segments_segment_{name}", args=[segment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_segment_pages_link_to_its_audit_trail(superuser_client, shop):
    trail = reverse("admin:audit_auditevent_changelist") + "?segment_id=gold&tenant=acme"

    for name in PAGES:
        page = html.unescape(_page(superuser_client, name, shop["gold"]))
        assert f'<a href="{trail}" id="audit-trail-link">Audit trail</a>' in page, name
    assert superuser_client.get(trail).status_code == 200


def test_no_link_for_users_who_cannot_read_the_trail(merchandiser, shop):
    for name in PAGES:
        assert "audit-trail-link" not in _page(merchandiser, name, shop["gold"]), name
