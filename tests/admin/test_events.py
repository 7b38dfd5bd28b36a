"""The admin's writes emit the same change events as the API (through the services)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from segments.models import SegmentCustomerAssignment
from tests.events.helpers import clear_events, member, outbox
from tests.segments.factories import make_customer

from .conftest import TENANT

pytestmark = pytest.mark.django_db


def test_the_admin_adds_a_member_through_the_service(merchandiser, shop):
    gold, carol = shop["gold"], make_customer(TENANT, "carol")
    clear_events()

    url = reverse("admin:segments_segment_members", args=[gold.pk])
    merchandiser.post(url, {"customer": carol.pk}, follow=True)

    assert outbox(TENANT) == [("segment.member.added", gold.public_id, member("carol"))]


def test_the_admin_removes_members_through_the_service(merchandiser, shop):
    gold = shop["gold"]
    alice = SegmentCustomerAssignment.objects.get(segment=gold, customer=shop["alice"])
    clear_events()

    url = reverse("admin:segments_segment_members_remove", args=[gold.pk])
    merchandiser.post(url, {"remove": alice.pk})

    assert outbox(TENANT) == [("segment.member.removed", gold.public_id, member("alice"))]
