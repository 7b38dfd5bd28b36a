"""`import_data` and rule evaluations (full, and on a customer write) emit the same events
as the API, through `record()`, in batched events of one segment (`data.members` /
`data.items`, at most BATCH_SIZE each). The admin: tests/admin/test_events.py."""

from __future__ import annotations

import pytest

from segments.models import Customer, SegmentCustomerAssignment
from segments.services.rule_evaluation import segment_rule_apply
from segments_project.audit import change_events
from segments_project.events.models import Event

from ..catalog.factories import make_product
from ..conftest import TENANT
from ..imports import run_import, write_csv
from ..segments.factories import assign_customer, make_customer, make_segment
from .helpers import batched, clear_events, outbox

pytestmark = pytest.mark.django_db


def test_an_import_emits_a_batched_event_per_segment_and_chunk(tmp_path, db):
    make_segment(TENANT, "gold")
    make_segment(TENANT, "silver")
    for name in ("ann", "bob", "cid"):
        make_customer(TENANT, name)
    make_product(TENANT, "p1")
    members = write_csv(
        tmp_path / "members.csv",
        ["segmentId", "customerId", "legalEntityId", "mixins"],
        [["gold", "ann", "", ""], ["gold", "bob", "", ""], ["silver", "cid", "", ""]],
    )
    items = write_csv(
        tmp_path / "items.csv",
        ["segmentId", "type", "itemId", "mixins"],
        [["gold", "PRODUCT", "p1", ""]],
    )

    assert run_import("segment-customers", members).ok
    assert run_import("segment-items", items).ok

    source = {"source": "import"}
    assert outbox(TENANT) == [
        ("segment.member.added", "gold", batched("import", "MANUAL", ("ann", None), ("bob", None))),
        ("segment.member.added", "silver", batched("import", "MANUAL", ("cid", None))),
        (
            "segment.item.added",
            "gold",
            {**source, "items": [{"itemType": "PRODUCT", "itemId": "p1"}]},
        ),
    ]


def test_replace_mode_emits_the_members_it_removed(tmp_path, db):
    gold = make_segment(TENANT, "gold")
    for name in ("ann", "bob"):
        assign_customer(gold, make_customer(TENANT, name))
    clear_events()
    path = write_csv(
        tmp_path / "m.csv",
        ["segmentId", "customerId", "legalEntityId", "mixins"],
        [["gold", "ann", "", ""]],
    )

    assert run_import("segment-customers", path, mode="replace").ok

    removed = batched("import", "MANUAL", ("bob", None))
    assert outbox(TENANT) == [("segment.member.removed", "gold", removed)]


def test_an_import_that_updates_members_emits_them_updated_and_manual(tmp_path, db):
    gold = make_segment(TENANT, "gold")
    automatic = assign_customer(gold, make_customer(TENANT, "ann"))
    SegmentCustomerAssignment.objects.filter(pk=automatic.pk).update(assignment_type="AUTOMATIC")
    assign_customer(gold, make_customer(TENANT, "bob"))
    assign_customer(gold, make_customer(TENANT, "cid"))
    path = write_csv(
        tmp_path / "m.csv",
        ["segmentId", "customerId", "legalEntityId", "mixins"],
        [["gold", "ann", "", ""], ["gold", "bob", "", '{"a": 1}'], ["gold", "cid", "", ""]],
    )

    assert run_import("segment-customers", path).ok

    updated = batched("import", "MANUAL", ("ann", None), ("bob", None))
    assert outbox(TENANT) == [("segment.member.updated", "gold", updated)]


@pytest.fixture
def germans(db) -> None:
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    for customer_id, language in (("ada", "de"), ("bob", "de"), ("cy", "en")):
        make_customer(TENANT, customer_id)
        Customer.objects.filter(public_id=customer_id).update(preferred_language=language)


def test_a_full_evaluation_lists_every_member_in_chunks(germans, monkeypatch):
    monkeypatch.setattr(change_events, "BATCH_SIZE", 1)

    segment_rule_apply(tenant=TENANT, segment_id="germans")
    Customer.objects.filter(public_id="ada").update(preferred_language="en")
    segment_rule_apply(tenant=TENANT, segment_id="germans")

    ada, bob = (
        batched("criteria", "AUTOMATIC", ("ada", None)),
        batched("criteria", "AUTOMATIC", ("bob", None)),
    )
    assert outbox(TENANT) == [
        ("segment.member.added", "germans", ada),
        ("segment.member.added", "germans", bob),
        ("segment.member.removed", "germans", ada),
    ]
    numbers = list(Event.objects.order_by("id").values_list("sequence_number", flat=True))
    assert numbers == [1, 2, 3]


def test_a_full_evaluation_lists_more_members_than_the_trails_sample(db):
    make_segment(TENANT, "everyone", criteria={"q": "preferredLanguage:de"})
    for index in range(25):
        make_customer(TENANT, f"c{index:02}")
    Customer.objects.update(preferred_language="de")

    applied = segment_rule_apply(tenant=TENANT, segment_id="everyone")

    assert len(applied.added_sample) == 10
    [(kind, _, data)] = outbox(TENANT)
    assert kind == "segment.member.added"
    assert len(data["members"]) == 25 == SegmentCustomerAssignment.objects.count()
    assert "truncated" not in data


def test_a_customer_write_emits_its_automatic_membership(manager, germans):
    customers = f"/customer/{TENANT}/customers"
    assert manager.put(f"{customers}/dora", {"preferredLanguage": "de"}).status_code == 201
    assert manager.patch(f"{customers}/dora", {"preferredLanguage": "en"}).status_code == 204

    dora = batched("customerWrite", "AUTOMATIC", ("dora", None))
    assert outbox(TENANT, prefix="segment.member") == [
        ("segment.member.added", "germans", dora),
        ("segment.member.removed", "germans", dora),
    ]


def test_a_customer_import_lists_every_member_it_changed(germans, tmp_path):
    # One write of 25 customers: more members of one segment than the trail's sample of 10.
    ids = [f"c{index:02}" for index in range(25)]
    customers = write_csv(
        tmp_path / "customers.csv", ["id", "preferredLanguage"], [[i, "de"] for i in ids]
    )
    assert run_import("customers", customers).ok

    [(kind, segment, data)] = outbox(TENANT, prefix="segment.member")
    assert (kind, segment) == ("segment.member.added", "germans")
    assert sorted(member["customerId"] for member in data["members"]) == ids
    assert "truncated" not in data
