"""A customer write evaluates only the rules that read what it changed (`CustomerChanges`):
a field, a mixin path or the links; every rule for a new customer, and a rule with a relative
date whatever changed.

A membership is made stale by hand below (deleted behind the services' back): a write that
evaluates the rule restores it, one that does not leaves it gone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.documents.directory import customer_values
from segments.models import Segment, SegmentCustomerAssignment
from segments.services import directory as services
from segments_project.api.documents import format_datetime
from segments_project.checkpoints import Checkpoint

from ...conftest import TENANT
from ..factories import make_legal_entity, make_segment
from .test_write_evaluation import Row

pytestmark = pytest.mark.django_db


def _put(customer_id: str, **document: Any) -> None:
    services.customer_upsert(tenant=TENANT, customer_id=customer_id, document=document)


def _members() -> set[tuple[str, str]]:
    return set(
        SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).values_list(
            "segment__public_id", "customer__public_id"
        )
    )


def _forget(segment_id: str) -> None:
    """The segment's memberships gone without an evaluation: only one restores them."""
    SegmentCustomerAssignment.objects.filter(segment__public_id=segment_id).delete()


def test_a_write_that_changes_no_field_a_rule_reads_does_not_evaluate_it(db, on_checkpoint):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    _put("ada", preferredLanguage="de", firstName="Ada")
    assert _members() == {("germans", "ada")}
    _forget("germans")
    evaluated: list[Any] = []
    on_checkpoint(Checkpoint.WRITTEN_CUSTOMERS_EVALUATED, lambda **seen: evaluated.append(seen))
    with CaptureQueriesContext(connection) as queries:
        _put("ada", preferredLanguage="de", firstName="Ada Lovelace")
    with_rules = len(queries)
    SegmentCustomerAssignment.objects.all().delete()
    Segment.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        _put("ada", preferredLanguage="de", firstName="Ada")

    assert _members() == set()
    assert evaluated == []
    assert with_rules == len(queries)  # no evaluation statement at all


def test_the_rule_is_evaluated_when_a_field_it_reads_changes(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "named", criteria={"q": "firstName:Ada"})
    _put("ada", preferredLanguage="en", firstName="Ada")
    _forget("named")

    _put("ada", preferredLanguage="de", firstName="Ada")

    assert _members() == {("germans", "ada")}  # `named` reads firstName, which stayed


def test_a_new_customer_is_evaluated_against_every_rule(db):
    make_segment(TENANT, "everyone", criteria={"q": "id:exists"})

    _put("ada")

    assert _members() == {("everyone", "ada")}


def test_mixin_rules_are_evaluated_by_the_paths_that_changed(db):
    make_segment(TENANT, "gold", criteria={"q": "mixins.loyalty.points:>=500"})
    _put("ada", mixins={"loyalty": {"points": 700}, "orders": {"count": 1}})
    _forget("gold")

    _put("ada", mixins={"loyalty": {"points": 700}, "orders": {"count": 2}})
    assert _members() == set()

    _put("ada", mixins={"loyalty": {"points": 800}, "orders": {"count": 2}})
    assert _members() == {("gold", "ada")}

    _forget("gold")
    _put("ada", mixins={"loyalty": {"points": 800, "tier": "gold"}, "orders": {"count": 2}})
    assert _members() == set()  # a sibling key changed, not the points

    services.customer_patch(tenant=TENANT, customer_id="ada", patch={"mixins": {"loyalty": None}})
    _put("ada", mixins={"loyalty": {"points": 900}})
    assert _members() == {("gold", "ada")}  # the whole `loyalty` object came back


def test_a_change_of_links_evaluates_the_rules_on_legal_entities(db):
    make_legal_entity(TENANT, "acme", name="Acme")
    make_segment(TENANT, "acme-staff", criteria={"legalEntities": "name:Acme"})
    make_segment(TENANT, "acme-people", criteria={"q": "legalEntityIds:acme"})
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    _put("bob", preferredLanguage="de")
    _forget("germans")

    _put("bob", preferredLanguage="de", legalEntityIds=["acme"])

    assert _members() == {("acme-staff", "bob"), ("acme-people", "bob")}


def test_a_relative_date_rule_is_evaluated_whatever_changed(db):
    make_segment(TENANT, "recent", criteria={"q": 'mixins.orders.lastOrderAt:>="-30d"'})
    ordered = format_datetime(timezone.now() - timedelta(days=10))
    _put("ada", mixins={"orders": {"lastOrderAt": ordered}})
    _forget("recent")

    _put("ada", mixins={"orders": {"lastOrderAt": ordered}}, firstName="Ada")

    assert _members() == {("recent", "ada")}


def test_a_bulk_write_evaluates_the_rules_its_rows_changed(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "named", criteria={"q": "firstName:Ada"})
    make_segment(TENANT, "gold", criteria={"q": "mixins.loyalty.points:>=500"})

    def rows(**document: Any) -> list[Row]:
        return [
            Row(key, customer_values({"firstName": "Ada", **document})) for key in ("ada", "bob")
        ]

    services.customers_upsert_many(tenant=TENANT, rows=rows(preferredLanguage="de"))
    assert _members() == {(s, c) for s in ("germans", "named") for c in ("ada", "bob")}
    for segment_id in ("germans", "named"):
        _forget(segment_id)

    services.customers_upsert_many(
        tenant=TENANT, rows=rows(preferredLanguage="de", mixins={"loyalty": {"points": 600}})
    )

    assert _members() == {("gold", "ada"), ("gold", "bob")}
