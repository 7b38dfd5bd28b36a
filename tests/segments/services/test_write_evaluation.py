"""Rule evaluation on customer and legal-entity writes (`write_evaluation.py`), through the
directory services: the written customers' AUTOMATIC memberships follow the rules, MANUAL
members and exclusions are honoured, other tenants are untouched, relative dates resolve at
the write, and a write costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.documents.directory import customer_values, legal_entity_values
from segments.models import Customer, SegmentCustomerAssignment
from segments.selectors.written_matches import Sql, written_matches
from segments.services import directory as services
from segments.services.exclusions import exclusion_put
from segments.services.write_evaluation import rule_segments_locked
from segments_project.api.documents import format_datetime
from segments_project.audit.models import AuditEvent

from ...conftest import OTHER_TENANT, TENANT
from ..factories import assign_customer, make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

Member = tuple[str, str, str | None, str]


def _members(tenant: str = TENANT) -> set[Member]:
    return set(
        SegmentCustomerAssignment.objects.filter(tenant_id=tenant).values_list(
            "segment__public_id",
            "customer__public_id",
            "legal_entity__public_id",
            "assignment_type",
        )
    )


def _put(customer_id: str, tenant: str = TENANT, **document: Any) -> None:
    services.customer_upsert(tenant=tenant, customer_id=customer_id, document=document)


@dataclass
class Row:
    key: str
    values: dict[str, Any]
    version: int | None = None
    legal_entity_ids: tuple[str, ...] = ()


def _customer_row(customer_id: str, **document: Any) -> Row:
    return Row(
        customer_id, customer_values(document), None, tuple(document.get("legalEntityIds", ()))
    )


def test_a_customer_write_adds_and_removes_its_automatic_memberships(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "gold", criteria={"q": "mixins.loyalty.points:>=500"})
    make_segment(TENANT, "manual")

    _put("ada", preferredLanguage="de", mixins={"loyalty": {"points": 700}})

    assert _members() == {("germans", "ada", None, "AUTOMATIC"), ("gold", "ada", None, "AUTOMATIC")}

    services.customer_patch(tenant=TENANT, customer_id="ada", patch={"preferredLanguage": "en"})

    assert _members() == {("gold", "ada", None, "AUTOMATIC")}


def test_manual_members_stay_and_are_never_doubled(db):
    segment = make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    ada, bob = make_customer(TENANT, "ada"), make_customer(TENANT, "bob")
    assign_customer(segment, ada)
    assign_customer(segment, bob)

    _put("ada", preferredLanguage="de")  # matched and MANUAL: one MANUAL member
    _put("bob", preferredLanguage="en")  # not matched and MANUAL: stays

    assert _members() == {("germans", "ada", None, "MANUAL"), ("germans", "bob", None, "MANUAL")}


def test_an_excluded_customer_is_not_added(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "everyone", criteria={"q": "id:exists"})
    # Created through the service, so evaluated against every rule (a write evaluates only
    # the rules that read what it changed; `id` never changes).
    _put("ada")
    exclusion_put(tenant=TENANT, segment_id="germans", customer_id="ada")

    _put("ada", preferredLanguage="de")

    assert _members() == {("everyone", "ada", None, "AUTOMATIC")}


def test_another_tenant_is_untouched(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(OTHER_TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_customer(OTHER_TENANT, "ada")
    Customer.objects.filter(tenant_id=OTHER_TENANT).update(preferred_language="de")

    _put("ada", preferredLanguage="de")

    assert _members() == {("germans", "ada", None, "AUTOMATIC")}
    assert _members(OTHER_TENANT) == set()


def test_legal_entities_in_the_rule_make_b2b_members_of_the_links(db):
    make_legal_entity(TENANT, "acme", name="Acme")
    make_legal_entity(TENANT, "initech", name="Initech")
    make_segment(TENANT, "acme-staff", criteria={"legalEntities": "name:Acme"})

    _put("bob", legalEntityIds=["acme", "initech"])

    assert _members() == {("acme-staff", "bob", "acme", "AUTOMATIC")}

    _put("bob", legalEntityIds=["initech"])

    assert _members() == set()


def test_a_rule_on_legal_entity_ids_is_evaluated_through_the_links(db):
    make_legal_entity(TENANT, "acme", name="Acme")
    make_customer(TENANT, "cy")
    make_segment(TENANT, "acme-people", criteria={"q": "legalEntityIds:acme"})

    _put("bob", legalEntityIds=["acme"])
    _put("cy")

    assert _members() == {("acme-people", "bob", None, "AUTOMATIC")}


def test_a_legal_entity_write_evaluates_the_customers_linked_to_it(db):
    acme = make_legal_entity(TENANT, "acme", name="Acme")
    other = make_legal_entity(TENANT, "other", name="Other")
    make_customer(TENANT, "bob", legal_entities=(acme,))
    make_customer(TENANT, "cy", legal_entities=(acme,))
    make_customer(TENANT, "dan", legal_entities=(other,))
    make_segment(TENANT, "big", criteria={"legalEntities": "name:~Big"})

    services.legal_entity_upsert(tenant=TENANT, legal_entity_id="acme", document={"name": "Big"})

    assert _members() == {("big", "bob", "acme", "AUTOMATIC"), ("big", "cy", "acme", "AUTOMATIC")}

    services.legal_entity_patch(tenant=TENANT, legal_entity_id="acme", patch={"name": "Small"})

    assert _members() == set()

    services.legal_entities_upsert_many(
        tenant=TENANT,
        rows=[
            Row("acme", legal_entity_values({"name": "Bigger"})),
            Row("other", legal_entity_values({"name": "Big too"})),
        ],
    )

    assert _members() == {
        ("big", "bob", "acme", "AUTOMATIC"),
        ("big", "cy", "acme", "AUTOMATIC"),
        ("big", "dan", "other", "AUTOMATIC"),
    }


def test_a_bulk_upsert_evaluates_every_row(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_customer(TENANT, "cy")
    SegmentCustomerAssignment.objects.create(
        tenant_id=TENANT,
        segment_id=make_segment(TENANT, "gold", criteria={"q": "company:Gold"}).pk,
        customer=Customer.objects.get(public_id="cy"),
        assignment_type="AUTOMATIC",
        created_at=timezone.now(),
        modified_at=timezone.now(),
    )

    services.customers_upsert_many(
        tenant=TENANT,
        rows=[
            _customer_row("ada", preferredLanguage="de"),
            _customer_row("bob", preferredLanguage="en"),
            _customer_row("cy", preferredLanguage="de"),
        ],
    )

    assert _members() == {
        ("germans", "ada", None, "AUTOMATIC"),
        ("germans", "cy", None, "AUTOMATIC"),
    }


def test_a_relative_date_is_taken_at_the_write(db):
    make_segment(TENANT, "recent", criteria={"q": 'mixins.orders.lastOrderAt:>="-30d"'})

    def last_order(days: int) -> dict[str, Any]:
        return {"orders": {"lastOrderAt": format_datetime(timezone.now() - timedelta(days=days))}}

    _put("ada", mixins=last_order(29))
    _put("bob", mixins=last_order(31))

    assert _members() == {("recent", "ada", None, "AUTOMATIC")}

    # The same rule, cached or not, resolves "-30d" at each write's own time.
    _put("ada", mixins=last_order(31))
    _put("bob", mixins=last_order(1))

    assert _members() == {("recent", "bob", None, "AUTOMATIC")}


def test_a_cached_relative_rule_moves_with_the_writes_now(db):
    make_segment(TENANT, "recent", criteria={"q": 'mixins.orders.lastOrderAt:>="-30d"'})
    ordered = format_datetime(timezone.now() - timedelta(days=10))
    row = _customer_row("ada", mixins={"orders": {"lastOrderAt": ordered}})
    services.customers_upsert_many(tenant=TENANT, rows=[row])  # compiles and caches the rule
    assert _members() == {("recent", "ada", None, "AUTOMATIC")}

    # 25 days later the order is 35 days old.
    later = timezone.now() + timedelta(days=25)
    services.customers_upsert_many(tenant=TENANT, rows=[row], now=later)

    assert _members() == set()


def test_one_audit_event_per_changed_segment_names_the_trigger(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "english", criteria={"q": "preferredLanguage:en"})
    make_segment(TENANT, "gold", criteria={"q": "company:Gold"})
    _put("ada", preferredLanguage="de")
    AuditEvent.objects.all().delete()

    _put("ada", preferredLanguage="en")

    events = {
        event.document_id: event.changes
        for event in AuditEvent.objects.filter(tenant_id=TENANT, action="evaluated")
    }
    assert events == {
        "germans": {"source": "customerWrite", "added": 0, "removed": 1,
                    "addedSample": [], "removedSample": ["ada"]},
        "english": {"source": "customerWrite", "added": 1, "removed": 0,
                    "addedSample": ["ada"], "removedSample": []},
    }  # fmt: skip


def test_a_write_that_changes_no_membership_records_no_evaluation(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    _put("ada", preferredLanguage="de")
    AuditEvent.objects.all().delete()

    _put("ada", preferredLanguage="de", firstName="Ada")

    assert not AuditEvent.objects.filter(action="evaluated").exists()


def _rules(prefix: str, count: int) -> None:
    for number in range(count):
        make_segment(
            TENANT,
            f"{prefix}-{number}",
            criteria={
                "q": f"mixins.loyalty.points:>={number} preferredLanguage:(de,en)",
                **({"legalEntities": f"name:Acme{number}"} if number % 3 == 0 else {}),
            },
        )


def _single_write_queries(points: int) -> int:
    document = {"preferredLanguage": "de", "mixins": {"loyalty": {"points": points}}}
    with CaptureQueriesContext(connection) as queries:
        _put("ada", **document)
    return len(queries)


def test_a_single_write_costs_the_same_queries_whatever_the_rules(db):
    _put("ada")
    without_rules = _single_write_queries(3)
    _rules("few", 3)
    with_few = _single_write_queries(1)  # joins few-0 and few-1
    _rules("more", 30)
    with_many = _single_write_queries(0)  # leaves few-1, joins more-0

    # The lock query is there without rules too (on PostgreSQL it also sets `jit` and
    # `plan_cache_mode` for the transaction); with rules and a change of membership, the
    # INSERT and the DELETE (on PostgreSQL one statement returning the members' public
    # ids; on SQLite two and a query for the ids), the audit INSERT with the events'
    # outbox row (on PostgreSQL one statement; on SQLite two).
    extra = 2 if connection.vendor == "postgresql" else 5
    assert with_few == with_many == without_rules + extra


def test_a_bulk_write_costs_the_same_queries_whatever_the_rules_and_rows(db):
    def bulk(prefix: str, count: int) -> int:
        rows = [
            _customer_row(f"{prefix}{n}", preferredLanguage="de", mixins={"loyalty": {"points": 1}})
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.customers_upsert_many(tenant=TENANT, rows=rows)
        return len(queries)

    _rules("few", 2)
    few = bulk("a", 3)
    _rules("more", 20)
    many = bulk("b", 40)

    assert few == many
    assert SegmentCustomerAssignment.objects.count() == 3 * 2 + 40 * 4


def test_rules_reading_one_mixin_path_share_its_value(db):
    # Three rules read orders.totalSpent, two of them with a string path too: each path's
    # typed value is computed once per written customer (PostgreSQL), and every rule
    # still answers for itself.
    make_segment(TENANT, "small", criteria={"q": "mixins.orders.totalSpent:<100"})
    make_segment(TENANT, "big", criteria={"q": "mixins.orders.totalSpent:>=100"})
    make_segment(
        TENANT,
        "big-recent",
        criteria={"q": 'mixins.orders.totalSpent:>=100 mixins.orders.lastOrderAt:>="-30d"'},
    )
    make_segment(TENANT, "tagged", criteria={"q": "mixins.orders.channel:web"})
    recent = format_datetime(timezone.now() - timedelta(days=3))
    old = format_datetime(timezone.now() - timedelta(days=90))

    _put("ada", mixins={"orders": {"totalSpent": 50, "lastOrderAt": recent}})
    _put("bob", mixins={"orders": {"totalSpent": 500, "lastOrderAt": recent, "channel": "web"}})
    _put("cy", mixins={"orders": {"totalSpent": 500, "lastOrderAt": old, "channel": "shop"}})
    _put("dan", mixins={"orders": {"totalSpent": "500"}})  # a string is no number

    assert _members() == {
        ("small", "ada", None, "AUTOMATIC"),
        ("big", "bob", None, "AUTOMATIC"),
        ("big-recent", "bob", None, "AUTOMATIC"),
        ("tagged", "bob", None, "AUTOMATIC"),
        ("big", "cy", None, "AUTOMATIC"),
    }
    if connection.vendor == "postgresql":
        statement = written_matches(
            tenant=TENANT,
            rules=rule_segments_locked(tenant=TENANT),
            written=Sql("SELECT id FROM segments_customer"),
        ).text
        assert statement.count("#> '{orders,totalSpent}'") == 1
        assert statement.count("#> '{orders,lastOrderAt}'") == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings")
def test_the_lock_query_sets_the_statement_settings_when_there_are_rules(db):
    def settings() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit'), current_setting('plan_cache_mode')")
            return cursor.fetchone()

    def advisory_locks() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    outside = settings()
    for index in range(3):
        make_segment(TENANT, f"manual-{index}")
    # Whatever plan PostgreSQL picks: none of the planner's choices may take the locks or
    # set the settings for a tenant without rule segments.
    for planner in ("", "SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off"):
        with transaction.atomic():
            if planner:
                with connection.cursor() as cursor:
                    cursor.execute(planner)
            assert rule_segments_locked(tenant=TENANT) == []
            assert settings() == outside
            assert advisory_locks() == 0
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    with transaction.atomic():
        rule_segments_locked(tenant=TENANT)
        assert settings() == ("off", "force_generic_plan")
        assert advisory_locks() > 0
