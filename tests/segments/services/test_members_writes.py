"""The member write services themselves: the stored rows of a bulk upsert (the set-based
path: one statement per kind of write on PostgreSQL), its queries, and its audit trail."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.models import Customer, LegalEntity, Segment, SegmentCustomerAssignment
from segments.services import members as services
from segments.services.member_rows import MemberRow, members_insert, stored_members
from segments_project.audit.models import AuditEvent

from ...conftest import OTHER_TENANT, TENANT
from ..factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

MEMBERS = 200
# Values a text-based row transfer could garble: quotes, backslashes, tabs and newlines,
# braces and commas (array literal syntax), non-ASCII, NULL-like strings, nesting.
AWKWARD_MIXINS = [
    {},
    {"quote": 'say "hi"', "backslash": "a\\b", "tab": "a\tb", "newline": "a\nb"},
    {"array-ish": "{1,2}", "null-ish": "NULL", "empty": "", "unicode": "Grüße 🎉"},
    {"nested": {"list": [1, 2.5, None, True, {"deep": []}], "n": -3}},
]


@pytest.fixture
def corp() -> LegalEntity:
    """Segments gold and silver; customers m0..m199, the odd ones of legal entity corp."""
    make_segment(TENANT, "gold")
    make_segment(TENANT, "silver")
    corp = make_legal_entity(TENANT, "corp")
    for index in range(MEMBERS):
        make_customer(TENANT, f"m{index}", legal_entities=(corp,) if index % 2 else ())
    return corp


def _element(index: int, **extra) -> dict:
    element = {"customerId": f"m{index}", **extra}
    if index % 2:
        element["legalEntityId"] = "corp"
    return element


def _upsert(elements: list[dict], segment_id: str = "gold") -> list[int]:
    outcomes = services.customer_assignments_upsert_bulk(
        tenant=TENANT, segment_id=segment_id, documents=elements
    )
    return [outcome.code for outcome in outcomes]


def _stored(segment_id: str = "gold") -> dict[tuple[str, str | None], dict]:
    rows = SegmentCustomerAssignment.objects.filter(
        tenant_id=TENANT, segment__public_id=segment_id
    ).values(
        "customer__public_id",
        "legal_entity__public_id",
        "mixins",
        "metadata_mixins",
        "assignment_type",
        "version",
        "created_at",
        "modified_at",
        "tenant_id",
    )
    return {
        (row.pop("customer__public_id"), row.pop("legal_entity__public_id")): row for row in rows
    }


def test_bulk_upsert_stores_every_value_as_sent(corp):
    elements = [
        _element(
            index,
            mixins=AWKWARD_MIXINS[index % len(AWKWARD_MIXINS)],
            metadata={"mixins": {"schema": f"https://example.com/{index}.json"}},
        )
        for index in range(MEMBERS)
    ]

    assert _upsert(elements) == [201] * MEMBERS

    stored = _stored()
    assert len(stored) == MEMBERS
    for element in elements:
        row = stored[(element["customerId"], element.get("legalEntityId"))]
        assert row["mixins"] == element["mixins"]
        assert row["metadata_mixins"] == element["metadata"]["mixins"]
        assert (row["assignment_type"], row["version"], row["tenant_id"]) == ("MANUAL", 1, TENANT)
        assert row["created_at"] == row["modified_at"]
    assert _stored("silver") == {}


def test_bulk_upsert_updates_only_changed_rows_and_grows_their_versions(corp):
    _upsert([_element(index, mixins={"round": 1}) for index in range(MEMBERS)])
    before = _stored()

    codes = _upsert(
        [
            _element(index, mixins=AWKWARD_MIXINS[1] if index % 3 == 0 else {"round": 1})
            for index in range(MEMBERS)
        ]
    )

    assert codes == [204] * MEMBERS
    after = _stored()
    for key, row in after.items():
        index = int(key[0][1:])
        if index % 3 == 0:
            assert (row["mixins"], row["version"]) == (AWKWARD_MIXINS[1], 2)
            assert row["modified_at"] > before[key]["modified_at"]
        else:
            assert row == before[key]
        assert row["created_at"] == before[key]["created_at"]


def test_elements_naming_one_member_apply_in_order_within_a_call(corp):
    codes = _upsert(
        [
            _element(1, mixins={"step": 1}),  # created
            _element(1, mixins={"step": 2}),  # updated: version 2
            _element(1, mixins={"step": 3}, metadata={"version": 1}),  # stale
            _element(1, mixins={"step": 3}, metadata={"version": 2}),  # updated: version 3
            _element(2, mixins={"b2c": True}),
        ]
    )

    assert codes == [201, 204, 409, 204, 201]
    stored = _stored()
    assert stored[("m1", "corp")]["mixins"] == {"step": 3}
    assert stored[("m1", "corp")]["version"] == 3
    assert stored[("m2", None)]["version"] == 1


def test_updates_leave_the_rows_of_other_segments_and_tenants_alone(corp):
    make_segment(OTHER_TENANT, "gold")
    make_customer(OTHER_TENANT, "m0")
    services.customer_assignments_upsert_bulk(
        tenant=OTHER_TENANT, segment_id="gold", documents=[{"customerId": "m0", "mixins": {}}]
    )
    _upsert([_element(0, mixins={"x": 1})], "silver")
    _upsert([_element(0, mixins={"x": 1})])
    untouched = list(
        SegmentCustomerAssignment.objects.exclude(tenant_id=TENANT, segment__public_id="gold")
        .order_by("pk")
        .values()
    )

    assert _upsert([_element(0, mixins={"x": 2})]) == [204]

    assert _stored()[("m0", None)]["mixins"] == {"x": 2}
    assert (
        list(
            SegmentCustomerAssignment.objects.exclude(tenant_id=TENANT, segment__public_id="gold")
            .order_by("pk")
            .values()
        )
        == untouched
    )


def test_inserting_a_member_that_is_stored_fails_instead_of_overwriting_it(corp):
    _upsert([_element(0, mixins={"kept": True})])
    before = _stored()
    segment = Segment.objects.get(tenant_id=TENANT, public_id="gold")
    customer = Customer.objects.get(tenant_id=TENANT, public_id="m0")
    again = MemberRow(None, customer.pk, None, 1, {"kept": False}, {}, "MANUAL")

    with pytest.raises(IntegrityError), transaction.atomic():
        members_insert(tenant=TENANT, segment=segment.pk, rows=[again], now=timezone.now())

    assert _stored() == before


def _values(mixins: dict) -> dict:
    """What the audit trail holds of an assignment the API wrote with these mixins."""
    return {"mixins": mixins, "metadata_mixins": {}, "assignment_type": "MANUAL"}


def _audit_inserts(captured) -> int:
    table = AuditEvent._meta.db_table
    return sum(1 for query in captured.captured_queries if f'INTO "{table}"' in query["sql"])


def test_a_200_element_bulk_upsert_takes_one_query_per_step(corp, django_assert_num_queries):
    _upsert([_element(index, mixins={"round": 1}) for index in range(0, MEMBERS, 2)])
    # Half of the members are new, a third of the others change, the rest stay as they are.
    elements = [
        _element(index, mixins={"round": 2 if index % 3 == 0 else 1}) for index in range(MEMBERS)
    ]
    # SQLite allows 999 parameters a statement: there the ORM inserts the 100 new rows, and
    # the audit trail its 133 entries, in two statements each.
    inserts = 1 if connection.vendor == "postgresql" else 2
    # segment, customers, legal entities, links, stored rows, update; savepoint, release;
    # the events' outbox row (PostgreSQL: in the audit INSERT's statement; SQLite: one
    # INSERT, whatever the number of events)
    events = 0 if connection.vendor == "postgresql" else 1
    statements = 6 + 2 + 2 * inserts + events
    with django_assert_num_queries(statements) as captured:
        codes = _upsert(elements)

    assert codes == [204 if index % 2 == 0 else 201 for index in range(MEMBERS)]
    assert _audit_inserts(captured) == inserts


def test_a_bulk_upsert_records_one_entry_per_changed_assignment(corp):
    _upsert([_element(0, mixins={"a": 1}), _element(1, mixins={"a": 1}), _element(2)])

    _upsert(
        [
            _element(0, mixins={"a": 2}),  # updated
            _element(1, mixins={"a": 1}),  # unchanged: no entry
            _element(2, metadata={"version": 5}),  # stale: no entry
            _element(3, mixins={"new": True}),  # assigned (B2B)
            _element(4, mixins={"x": 1}),  # assigned, then changed in the same call
            _element(4, mixins={"x": 2}),
            _element(0, mixins={"a": 3}),  # the same row again: one entry, first to last
            {"customerId": "nobody"},  # unknown: no entry
        ]
    )

    events = list(
        AuditEvent.objects.filter(tenant_id=TENANT)
        .order_by("id")
        .values("action", "document_type", "document_id", "segment_id", "changes")
    )
    assert {event["document_type"] for event in events} == {"segment_customer_assignment"}
    assert {event["segment_id"] for event in events} == {"gold"}
    latest = [(event["action"], event["document_id"], event["changes"]) for event in events[3:]]
    assert latest == [
        ("assigned", "m3/corp", _values({"new": True})),
        ("assigned", "m4", _values({"x": 2})),
        ("updated", "m0", {"mixins": [{"a": 1}, {"a": 3}]}),
    ]


def test_a_call_that_changes_nothing_records_nothing(corp):
    _upsert([_element(0, mixins={"a": 1})])
    recorded = AuditEvent.objects.count()

    _upsert([_element(0, mixins={"a": 1}), {"customerId": "nobody"}])
    services.customer_assignments_delete_bulk(
        tenant=TENANT, segment_id="gold", documents=[{"customerId": "m2"}]
    )

    assert AuditEvent.objects.count() == recorded


def test_deletes_record_the_assignments_really_removed(corp):
    _upsert([_element(0, mixins={"a": 1}), _element(1), _element(2)])
    services.customer_assignment_upsert(tenant=TENANT, segment_id="gold", customer_id="m1")
    AuditEvent.objects.all().delete()

    services.customer_assignments_delete_bulk(
        tenant=TENANT,
        segment_id="gold",
        documents=[
            {"customerId": "m0"},
            {"customerId": "m1"},  # B2C m1 goes; m1 for corp stays
            {"customerId": "m2", "legalEntityId": "corp"},  # never assigned
            {"customerId": "m0"},
        ],
    )
    services.customer_assignment_delete(
        tenant=TENANT, segment_id="gold", customer_id="m1", legal_entity_id="corp"
    )

    events = AuditEvent.objects.values_list("action", "document_id", "changes")
    assert sorted(events) == [
        ("unassigned", "m0", _values({"a": 1})),
        ("unassigned", "m1", _values({})),
        ("unassigned", "m1/corp", _values({})),
    ]
    assert set(_stored()) == {("m2", None)}


def test_a_customer_member_both_for_itself_and_for_a_legal_entity_is_updated_twice(corp):
    # m1 belongs to corp: a B2C and a B2B assignment of one customer, found apart.
    first = [{"customerId": "m1", "mixins": {"n": 1}}, _element(1, mixins={"n": 1})]
    assert _upsert(first) == [201, 201]

    second = [{"customerId": "m1", "mixins": {"n": 2}}, _element(1, mixins={"n": 2})]
    assert _upsert(second) == [204, 204]

    stored = _stored()
    assert {key: (row["mixins"], row["version"]) for key, row in stored.items()} == {
        ("m1", None): ({"n": 2}, 2),
        ("m1", "corp"): ({"n": 2}, 2),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_stored_members_are_found_through_the_unique_indexes(corp):
    """One probe per customer into each unique (partial) index: a cost that does not grow
    with the segment's or the table's size (docs/benchmarks.md, "Scale L: bulk writes")."""
    _upsert([_element(index) for index in range(MEMBERS)])
    segment = Segment.objects.get(tenant_id=TENANT, public_id="gold")
    customers = list(Customer.objects.filter(tenant_id=TENANT).values_list("pk", flat=True)[:20])
    with CaptureQueriesContext(connection) as captured:
        found = stored_members(tenant=TENANT, segment=segment.pk, customers=customers)
    assert len(found) == 20
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        # The test tables are tiny: statistics that know the segment holds its 200 members,
        # and no scan of the whole table (cheapest at this size).
        cursor.execute(f"ANALYZE {SegmentCustomerAssignment._meta.db_table}")
        # At this size the customer foreign key's index costs the same as the unique
        # index, and the planner's pick between them flips with the sample; dropping it
        # inside the test's transaction leaves the choice this test is about.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE %s"
            " AND indexdef LIKE %s",
            [SegmentCustomerAssignment._meta.db_table, "%UNIQUE%", "%(customer_id)"],
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{index}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "customer_assignment_unique_b2c" in plan, plan
    assert "customer_assignment_unique_b2b" in plan
