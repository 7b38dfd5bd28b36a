"""Segment members (customer assignments): B2C and B2B upsert, read, delete, lists, bulk."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Customer, LegalEntity, SegmentCustomerAssignment
from segments_project.tenancy import scopes

from ..api.test_schema_conformance import REFERENCE, operations_by_id, scopes_of
from ..conftest import TENANT, Caller
from ..schema_conformance import openapi_schema
from .factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
MEMBERS = f"{SEGMENTS}/gold/customers"
BULK = f"{MEMBERS}/bulk"


@pytest.fixture
def directory(db):
    """Segments gold and silver; acme-corp with c1 and c2, beta-corp with c2; c3 has none."""
    make_segment(TENANT, "gold")
    make_segment(TENANT, "silver")
    acme_corp = make_legal_entity(TENANT, "acme-corp", name="Acme Corp")
    beta_corp = make_legal_entity(TENANT, "beta-corp", name="Beta Corp")
    make_customer(TENANT, "c1", legal_entities=(acme_corp,))
    make_customer(TENANT, "c2", legal_entities=(acme_corp, beta_corp))
    make_customer(TENANT, "c3")


def _members(segment_id: str = "gold") -> list[tuple[str, str | None]]:
    return sorted(
        SegmentCustomerAssignment.objects.filter(segment__public_id=segment_id).values_list(
            "customer__public_id", "legal_entity__public_id"
        ),
        key=lambda pair: (pair[0], pair[1] or ""),
    )


def _state() -> list[dict]:
    return list(SegmentCustomerAssignment.objects.order_by("pk").values())


def _keys(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.json()
    return [
        (entry["customer"]["id"], entry.get("legalEntity", {}).get("id"))
        for entry in response.json()
    ]


# --- single B2C and B2B assignments ---------------------------------------------------------


def test_b2c_put_creates_then_updates_and_get_returns_the_document(manager, directory):
    created = manager.put(f"{MEMBERS}/c1", {"mixins": {"tier": {"level": "gold"}}})

    assert created.status_code == 201
    assert created.content == b""
    document = manager.get(f"{MEMBERS}/c1").json()
    assert document["customer"] == {
        "id": "c1",
        "firstName": "First",
        "lastName": "C1",
        "email": "c1@example.com",
    }
    assert "legalEntity" not in document
    assert document["assignmentType"] == "MANUAL"
    assert document["mixins"] == {"tier": {"level": "gold"}}
    assert document["metadata"]["version"] == 1
    assert document["metadata"]["createdAt"].endswith("Z")

    updated = manager.put(f"{MEMBERS}/c1", {"mixins": {"tier": {"level": "platinum"}}})

    assert updated.status_code == 204
    document = manager.get(f"{MEMBERS}/c1").json()
    assert document["mixins"] == {"tier": {"level": "platinum"}}
    assert document["metadata"]["version"] == 2


def test_b2c_put_without_a_body_assigns_without_custom_data(manager, directory):
    assert manager.put(f"{MEMBERS}/c3").status_code == 201

    document = manager.get(f"{MEMBERS}/c3").json()
    assert "mixins" not in document
    assert _members() == [("c3", None)]


def test_an_unchanged_put_keeps_the_version(manager, directory):
    body = {"mixins": {"a": 1}, "metadata": {"mixins": {"a": "https://example.com/a.json"}}}
    manager.put(f"{MEMBERS}/c1", body)

    assert manager.put(f"{MEMBERS}/c1", body).status_code == 204

    document = manager.get(f"{MEMBERS}/c1").json()
    assert document["metadata"]["version"] == 1
    assert document["metadata"]["mixins"] == {"a": "https://example.com/a.json"}


def test_b2b_put_creates_an_assignment_for_the_legal_entity(manager, directory):
    assert manager.put(f"{MEMBERS}/c2/beta-corp", {"mixins": {"x": 1}}).status_code == 201

    document = manager.get(f"{MEMBERS}/c2/beta-corp").json()
    assert document["customer"]["id"] == "c2"
    assert document["legalEntity"] == {"id": "beta-corp", "name": "Beta Corp"}
    assert document["mixins"] == {"x": 1}
    # The B2C assignment of the same customer is another one, and absent.
    assert manager.get(f"{MEMBERS}/c2").status_code == 404
    assert manager.get(f"{MEMBERS}/c2/acme-corp").status_code == 404
    assert manager.put(f"{MEMBERS}/c2/beta-corp", {"mixins": {"x": 2}}).status_code == 204
    assert manager.get(f"{MEMBERS}/c2/beta-corp").json()["metadata"]["version"] == 2


def test_b2c_and_b2b_assignments_of_one_customer_live_side_by_side(manager, directory):
    manager.put(f"{MEMBERS}/c2")
    manager.put(f"{MEMBERS}/c2/acme-corp")
    manager.put(f"{MEMBERS}/c2/beta-corp")

    assert _members() == [("c2", None), ("c2", "acme-corp"), ("c2", "beta-corp")]


@pytest.mark.parametrize("path", ["c1", "c1/acme-corp"])
def test_put_with_a_stale_version_is_a_409_and_changes_nothing(manager, directory, path):
    manager.put(f"{MEMBERS}/{path}", {"mixins": {"a": 1}})
    manager.put(f"{MEMBERS}/{path}", {"mixins": {"a": 2}})
    before = _state()

    stale = manager.put(f"{MEMBERS}/{path}", {"mixins": {"a": 3}, "metadata": {"version": 1}})

    assert stale.status_code == 409
    assert stale.json()["code"] == 409
    assert _state() == before
    current = manager.put(f"{MEMBERS}/{path}", {"mixins": {"a": 3}, "metadata": {"version": 2}})
    assert current.status_code == 204
    assert manager.get(f"{MEMBERS}/{path}").json()["metadata"]["version"] == 3


def test_put_over_an_automatic_assignment_makes_it_manual(manager, directory):
    manager.put(f"{MEMBERS}/c1")
    SegmentCustomerAssignment.objects.update(assignment_type="AUTOMATIC")
    assert manager.get(f"{MEMBERS}/c1").json()["assignmentType"] == "AUTOMATIC"

    assert manager.put(f"{MEMBERS}/c1").status_code == 204

    document = manager.get(f"{MEMBERS}/c1").json()
    assert document["assignmentType"] == "MANUAL"
    assert document["metadata"]["version"] == 2


@pytest.mark.parametrize(
    ("path", "field", "words"),
    [
        ("nobody", "customerId", "nobody"),
        ("nobody/acme-corp", "customerId", "nobody"),
        ("c1/no-such-corp", "legalEntityId", "no-such-corp"),
        ("c1/beta-corp", "legalEntityId", "does not belong to the legal entity beta-corp"),
        ("c3/acme-corp", "legalEntityId", "does not belong to the legal entity acme-corp"),
    ],
)
def test_put_naming_unknown_or_unrelated_customers_and_legal_entities_is_a_400(
    manager, directory, path, field, words
):
    response = manager.put(f"{MEMBERS}/{path}", {})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["status"] == "Bad Request"
    assert words in body["message"]
    assert body["details"][0]["field"] == field
    assert _state() == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        '"text"',
        {"mixins": []},
        {"metadata": {"version": "one"}},
        {"metadata": {"mixins": {"a": 5}}},
        {"customerId": "c2"},
        {"legalEntityId": "acme-corp"},
    ],
)
def test_put_with_a_malformed_body_is_a_400(manager, directory, body):
    response = manager.put(f"{MEMBERS}/c1", body)

    assert response.status_code == 400
    assert response.json()["details"]
    assert _state() == []


def test_put_with_ids_in_the_body_that_match_the_path_is_accepted(manager, directory):
    response = manager.put(
        f"{MEMBERS}/c1/acme-corp", {"customerId": "c1", "legalEntityId": "acme-corp"}
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "customers", None),
        ("POST", "customers/search", {}),
        ("GET", "customers/c1", None),
        ("PUT", "customers/c1", {}),
        ("DELETE", "customers/c1", None),
        ("GET", "customers/c1/acme-corp", None),
        ("PUT", "customers/c1/acme-corp", {}),
        ("DELETE", "customers/c1/acme-corp", None),
        ("PUT", "customers/bulk", [{"customerId": "c1"}]),
        ("DELETE", "customers/bulk", [{"customerId": "c1"}]),
    ],
)
def test_every_operation_on_an_unknown_segment_is_a_404(manager, directory, method, suffix, body):
    response = manager.request(method, f"{SEGMENTS}/nowhere/{suffix}", body)

    assert response.status_code == 404
    assert response.json()["resourceId"] == "nowhere"
    assert _state() == []


def test_get_of_an_unassigned_customer_is_a_404(manager, directory):
    response = manager.get(f"{MEMBERS}/c1")

    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_get_projects_fields(manager, directory):
    manager.put(f"{MEMBERS}/c1/acme-corp", {"mixins": {"a": 1}})

    response = manager.get(f"{MEMBERS}/c1/acme-corp?fields=customer.id,legalEntity.name")

    assert response.json() == {"customer": {"id": "c1"}, "legalEntity": {"name": "Acme Corp"}}


def test_delete_removes_only_the_addressed_assignment_and_is_idempotent(manager, directory):
    manager.put(f"{MEMBERS}/c2")
    manager.put(f"{MEMBERS}/c2/acme-corp")
    manager.put(f"{MEMBERS}/c2/beta-corp")

    assert manager.delete(f"{MEMBERS}/c2").status_code == 204
    assert _members() == [("c2", "acme-corp"), ("c2", "beta-corp")]
    assert manager.delete(f"{MEMBERS}/c2/acme-corp").status_code == 204
    assert _members() == [("c2", "beta-corp")]
    assert manager.delete(f"{MEMBERS}/c2/acme-corp").status_code == 204
    assert manager.delete(f"{MEMBERS}/c2").status_code == 204
    assert manager.delete(f"{MEMBERS}/nobody/nowhere").status_code == 204
    assert _members() == [("c2", "beta-corp")]


def test_assignments_of_one_segment_do_not_touch_another(manager, directory):
    manager.put(f"{SEGMENTS}/silver/customers/c1")
    manager.put(f"{MEMBERS}/c1")

    manager.delete(f"{MEMBERS}/c1")

    assert _members("gold") == []
    assert _members("silver") == [("c1", None)]


# --- lists and search -----------------------------------------------------------------------


ALL_MEMBERS = [("c1", None), ("c2", None), ("c1", "acme-corp"), ("c2", "beta-corp")]


@pytest.fixture
def members(manager, directory):
    """gold: c1 (B2C, tier 1), c2 (B2C, tier 2), c1 for acme-corp, c2 for beta-corp (tier 3)."""
    response = manager.put(
        BULK,
        [
            {"customerId": "c1", "mixins": {"tier": 1}},
            {"customerId": "c2", "mixins": {"tier": 2, "vip": True}},
            {"customerId": "c1", "legalEntityId": "acme-corp"},
            {"customerId": "c2", "legalEntityId": "beta-corp", "mixins": {"tier": 3}},
        ],
    )
    assert [entry["code"] for entry in response.json()] == [201, 201, 201, 201]
    return manager


def test_list_answers_every_assignment_as_a_plain_array(members):
    response = members.get(MEMBERS)

    assert _keys(response) == ALL_MEMBERS
    b2b = response.json()[2]
    assert b2b["legalEntity"] == {"id": "acme-corp", "name": "Acme Corp"}
    assert b2b["assignmentType"] == "MANUAL"
    assert "mixins" not in b2b


def _q(q: str) -> str:
    return urlencode({"q": q})


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("customer.id:c1", [("c1", None), ("c1", "acme-corp")]),
        ("customerId:c2", [("c2", None), ("c2", "beta-corp")]),
        ("legalEntity.id:acme-corp", [("c1", "acme-corp")]),
        ("legalEntityId:(acme-corp,beta-corp)", [("c1", "acme-corp"), ("c2", "beta-corp")]),
        ("legalEntityId:null", [("c1", None), ("c2", None)]),
        ("customerId:c2 legalEntityId:null", [("c2", None)]),
        ("assignmentType:MANUAL", ALL_MEMBERS),
        ("assignmentType:AUTOMATIC", []),
        ("mixins.tier:>=2", [("c2", None), ("c2", "beta-corp")]),
        ("mixins.vip:true", [("c2", None)]),
        ("mixins.tier:missing", [("c1", "acme-corp")]),
        ("metadata.version:1", ALL_MEMBERS),
        ("customer.email:~c2", [("c2", None), ("c2", "beta-corp")]),
    ],
)
def test_q_filters_on_customer_legal_entity_type_and_mixins(members, q, expected):
    assert _keys(members.get(f"{MEMBERS}?{_q(q)}")) == expected


@pytest.mark.parametrize("q", ["unknown:1", "assignmentType:SOMETIMES", "customerId", "id:(a,"])
def test_malformed_q_or_unknown_fields_are_a_400(members, q):
    response = members.get(f"{MEMBERS}?{_q(q)}")

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "q"


def test_search_takes_q_from_the_body(members):
    response = members.post(f"{MEMBERS}/search", {"q": "customerId:c1 legalEntityId:acme-corp"})

    assert _keys(response) == [("c1", "acme-corp")]
    assert len(_keys(members.post(f"{MEMBERS}/search", {}))) == 4


@pytest.mark.parametrize("body", [{"q": 5}, ["customerId:c1"]])
def test_search_with_a_malformed_body_is_a_400(members, body):
    assert members.post(f"{MEMBERS}/search", body).status_code == 400


def test_paging_sort_fields_and_total_count(members):
    first = members.get(
        f"{MEMBERS}?pageSize=3&pageNumber=1&sort=customer.id:desc,legalEntity.id:asc",
        headers={"X-Total-Count": "true"},
    )
    second = members.get(
        f"{MEMBERS}?pageSize=3&pageNumber=2&sort=customer.id:desc,legalEntity.id:asc"
    )

    # NULLs sort last ascending: the B2C assignment after the B2B one of the same customer.
    assert _keys(first) == [("c2", "beta-corp"), ("c2", None), ("c1", "acme-corp")]
    assert first["X-Total-Count"] == "4"
    assert _keys(second) == [("c1", None)]
    assert "X-Total-Count" not in second
    projected = members.get(f"{MEMBERS}?fields=customer.id,mixins&pageSize=2")
    assert projected.json() == [
        {"customer": {"id": "c1"}, "mixins": {"tier": 1}},
        {"customer": {"id": "c2"}, "mixins": {"tier": 2, "vip": True}},
    ]


def test_total_count_counts_every_match_of_q(members):
    response = members.get(
        f"{MEMBERS}?pageSize=1&{_q('customerId:c2')}", headers={"X-Total-Count": "true"}
    )

    assert len(response.json()) == 1
    assert response["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    "params", ["pageSize=0", "pageNumber=0", "sort=password:asc", "sort=mixins"]
)
def test_bad_paging_or_sort_parameters_are_a_400(members, params):
    assert members.get(f"{MEMBERS}?{params}").status_code == 400


def _list_queries(caller: Caller) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(f"{MEMBERS}?pageSize=1000", headers={"X-Total-Count": "true"})
    assert response.status_code == 200
    return len(captured), len(response.json())


def test_list_takes_a_constant_number_of_queries(members, django_assert_max_num_queries):
    few_queries, few = _list_queries(members)
    acme_corp = LegalEntity.objects.get(public_id="acme-corp")
    for index in range(40):
        make_customer(TENANT, f"bulk-{index}", legal_entities=(acme_corp,))
    members.put(BULK, [{"customerId": f"bulk-{index}"} for index in range(40)])
    members.put(
        BULK, [{"customerId": f"bulk-{index}", "legalEntityId": "acme-corp"} for index in range(40)]
    )

    many_queries, many = _list_queries(members)

    assert (few, many) == (4, 84)
    assert many_queries == few_queries
    # token lookup + segment + page (customer and legal entity joined) + count
    with django_assert_max_num_queries(4):
        members.get(f"{MEMBERS}?pageSize=1000", headers={"X-Total-Count": "true"})


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_upsert_reports_each_element_in_order_and_applies_the_valid_ones(manager, directory):
    manager.put(f"{MEMBERS}/c3", {"mixins": {"old": True}})
    manager.put(f"{MEMBERS}/c3", {"mixins": {"old": False}})  # version 2

    response = manager.put(
        BULK,
        [
            {"customerId": "c1", "mixins": {"a": 1}},  # 0 created
            {"customerId": "c1", "legalEntityId": "acme-corp"},  # 1 created (B2B)
            {"customerId": "nobody"},  # 2 unknown customer
            {"customerId": "c1", "legalEntityId": "no-such-corp"},  # 3 unknown legal entity
            {"customerId": "c1", "legalEntityId": "beta-corp"},  # 4 not of that company
            "c2",  # 5 not an object
            {"mixins": {}},  # 6 no customerId
            {"customerId": "c1", "mixins": {"a": 2}},  # 7 same member again: updated
            {"customerId": "c3", "metadata": {"version": 1}},  # 8 stale
            {"customerId": "c3", "mixins": {"new": 1}, "metadata": {"version": 2}},  # 9 updated
            {"customerId": "c1", "metadata": {"version": 1}},  # 10 stale: 7 made it version 2
            {"customerId": "c2", "legalEntityId": "beta-corp"},  # 11 created
        ],
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["index"] for entry in entries] == list(range(12))
    assert [entry["code"] for entry in entries] == [
        201, 201, 400, 400, 400, 400, 400, 204, 409, 204, 409, 201
    ]  # fmt: skip
    assert entries[0]["status"] == "Created"
    assert entries[7]["status"] == "No Content"
    assert "message" not in entries[0]
    assert "nobody" in entries[2]["message"]
    assert "no-such-corp" in entries[3]["message"]
    assert "does not belong to the legal entity beta-corp" in entries[4]["message"]
    assert "customerId" in entries[6]["message"]
    assert "version 1" in entries[8]["message"]
    assert _members() == [("c1", None), ("c1", "acme-corp"), ("c2", "beta-corp"), ("c3", None)]
    c1 = manager.get(f"{MEMBERS}/c1").json()
    assert c1["mixins"] == {"a": 2}
    assert c1["metadata"]["version"] == 2
    c3 = manager.get(f"{MEMBERS}/c3").json()
    assert c3["mixins"] == {"new": 1}
    assert c3["metadata"]["version"] == 3


def test_bulk_upsert_with_nothing_valid_changes_nothing(manager, directory):
    manager.put(f"{MEMBERS}/c1")
    before = _state()

    response = manager.put(BULK, [{"customerId": "nobody"}, {"customerId": "c1"}, 5])

    assert [entry["code"] for entry in response.json()] == [400, 204, 400]
    assert _state() == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_more_than_200_elements_are_a_400_and_nothing_is_applied(manager, directory, method):
    manager.put(f"{MEMBERS}/c1")
    before = _state()
    elements = [{"customerId": "c1"}] * 200 + [{"customerId": "c2"}]

    response = manager.request(method, BULK, elements)

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert _state() == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_exactly_200_elements_are_accepted(manager, directory, method):
    response = manager.request(method, BULK, [{"customerId": "c1"}] * 200)

    assert response.status_code == 207
    assert len(response.json()) == 200


@pytest.mark.parametrize("body", [{"customerId": "c1"}, "c1", None])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_bulk_body_that_is_not_an_array_is_a_400(manager, directory, method, body):
    assert manager.request(method, BULK, body).status_code == 400


def test_bulk_delete_removes_the_named_assignments(members):
    response = members.delete(
        BULK,
        [
            {"customerId": "c1"},
            {"customerId": "c2", "legalEntityId": "beta-corp"},
            {"customerId": "c3"},  # never assigned
            {"customerId": "nobody", "legalEntityId": "nowhere"},  # unknown: nothing to remove
            {"legalEntityId": "acme-corp"},  # no customerId
            "c2",  # not an object
            {"customerId": "c1"},  # again
        ],
    )

    assert response.status_code == 207
    assert [entry["code"] for entry in response.json()] == [204, 204, 204, 204, 400, 400, 204]
    assert "customerId" in response.json()[4]["message"]
    assert _members() == [("c1", "acme-corp"), ("c2", None)]


def _bulk_queries(manager: Caller, elements: list[dict]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = manager.put(BULK, elements)
    assert response.status_code == 207
    return len(captured)


def test_bulk_upsert_takes_a_constant_number_of_queries(manager, directory):
    acme_corp = LegalEntity.objects.get(public_id="acme-corp")
    for index in range(60):
        make_customer(TENANT, f"m{index}", legal_entities=(acme_corp,))

    def elements(start: int, count: int) -> list[dict]:
        return [
            {"customerId": f"m{index}", "mixins": {"round": start}}
            | ({"legalEntityId": "acme-corp"} if index % 2 else {})
            for index in range(start, start + count)
        ]

    # Each round creates half of its elements and updates the other half.
    manager.put(BULK, elements(0, 2))
    small = _bulk_queries(manager, elements(1, 2))
    manager.put(BULK, elements(0, 30))
    large = _bulk_queries(manager, elements(15, 30))

    assert small == large
    assert SegmentCustomerAssignment.objects.count() == 45


def test_bulk_delete_takes_a_constant_number_of_queries(members):
    with CaptureQueriesContext(connection) as small:
        members.delete(BULK, [{"customerId": "c1"}])
    with CaptureQueriesContext(connection) as large:
        members.delete(
            BULK,
            [{"customerId": f"x{index}", "legalEntityId": "acme-corp"} for index in range(150)]
            + [{"customerId": "c2"}, {"customerId": "c2", "legalEntityId": "beta-corp"}],
        )

    assert len(small) == len(large)
    assert _members() == [("c1", "acme-corp")]


def test_writes_that_change_membership_mark_storefront_answers_stale(
    manager, directory, django_capture_on_commit_callbacks, published
):
    writes = [
        ("PUT", f"{MEMBERS}/c1", {"mixins": {"a": 1}}, {"c:c1"}),
        ("PUT", f"{MEMBERS}/c1", {"mixins": {"a": 1}}, set()),  # nothing changes
        ("PUT", f"{MEMBERS}/c1/acme-corp", {}, {"c:c1"}),
        (
            "PUT",
            BULK,
            [{"customerId": "c2"}, {"customerId": "c1", "mixins": {"a": 1}}],
            {"c:c2"},
        ),
        ("PUT", BULK, [{"customerId": "c2"}, {"customerId": "nobody"}], set()),
        ("DELETE", f"{MEMBERS}/c1", None, {"c:c1"}),
        ("DELETE", f"{MEMBERS}/c1", None, set()),  # already gone
        (
            "DELETE",
            BULK,
            [{"customerId": "c2"}, {"customerId": "c1", "legalEntityId": "x"}],
            {"c:c2"},
        ),
        ("DELETE", BULK, [{"customerId": "c2"}], set()),
    ]
    for method, path, body, keys in writes:
        published.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert manager.request(method, path, body).status_code in {201, 204, 207}
        # Only the customers whose memberships changed.
        assert {key for _, marked in published for key in marked} == keys, (method, path, body)


# --- the directory going away -----------------------------------------------------------------


def test_deleting_a_customer_removes_its_assignments(members):
    Customer.objects.get(tenant_id=TENANT, public_id="c1").delete()

    assert _members() == [("c2", None), ("c2", "beta-corp")]
    assert members.get(f"{MEMBERS}/c1").status_code == 404


def test_deleting_a_legal_entity_removes_only_its_b2b_assignments(members):
    LegalEntity.objects.get(tenant_id=TENANT, public_id="beta-corp").delete()

    assert _members() == [("c1", None), ("c1", "acme-corp"), ("c2", None)]
    assert members.get(f"{MEMBERS}/c2/beta-corp").status_code == 404
    assert members.put(f"{MEMBERS}/c2/beta-corp").status_code == 400


# --- who may do what ------------------------------------------------------------------------


def test_a_customer_token_lists_only_its_own_assignments(members, issue_token):
    make_segment(TENANT, "bronze")
    members.put(f"{SEGMENTS}/silver/customers/c2/beta-corp")
    b2c = Caller(issue_token(customer_id="c1"))
    b2b = Caller(issue_token(customer_id="c1", legal_entity_id="acme-corp"))
    c2_for_beta = Caller(issue_token(customer_id="c2", legal_entity_id="beta-corp"))

    assert _keys(b2c.get(MEMBERS)) == [("c1", None)]
    assert _keys(b2b.get(MEMBERS)) == [("c1", None), ("c1", "acme-corp")]
    assert _keys(b2b.get(f"{MEMBERS}?{_q('legalEntityId:null')}")) == [("c1", None)]
    assert _keys(c2_for_beta.get(MEMBERS)) == [("c2", None), ("c2", "beta-corp")]
    assert _keys(c2_for_beta.get(f"{SEGMENTS}/silver/customers")) == [("c2", "beta-corp")]
    # Segments the customer does not belong to are not there for it.
    for caller, segment_id in [(b2c, "silver"), (b2c, "bronze"), (b2b, "nowhere")]:
        response = caller.get(f"{SEGMENTS}/{segment_id}/customers")
        assert response.status_code == 404
        assert response.json()["resourceId"] == segment_id


def test_a_token_that_reads_only_its_own_but_is_no_customer_sees_no_members(members, issue_token):
    own_only = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ_OWN})))

    response = own_only.get(MEMBERS)

    assert response.status_code == 404
    assert own_only.post(f"{MEMBERS}/search", {}).status_code == 403


def test_a_customer_token_counts_only_its_own_assignments(members, issue_token):
    b2b = Caller(issue_token(customer_id="c1", legal_entity_id="acme-corp"))

    response = b2b.get(f"{MEMBERS}?pageSize=1", headers={"X-Total-Count": "true"})

    assert response["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "search", {}),
        ("GET", "c1", None),
        ("GET", "c1/acme-corp", None),
        ("PUT", "c1", {}),
        ("DELETE", "c1", None),
        ("PUT", "c1/acme-corp", {}),
        ("DELETE", "c1/acme-corp", None),
        ("PUT", "bulk", [{"customerId": "c1"}]),
        ("DELETE", "bulk", [{"customerId": "c1"}]),
    ],
)
def test_a_customer_token_may_only_list(members, issue_token, method, suffix, body):
    customer = Caller(issue_token(customer_id="c1"))
    before = _state()

    response = customer.request(method, f"{MEMBERS}/{suffix}", body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert _state() == before


def test_a_reader_reads_but_may_not_write(members, reader):
    before = _state()

    assert len(_keys(reader.get(MEMBERS))) == 4
    assert len(_keys(reader.post(f"{MEMBERS}/search", {"q": "customerId:c1"}))) == 2
    assert reader.get(f"{MEMBERS}/c1").status_code == 200
    assert reader.get(f"{MEMBERS}/c1/acme-corp").status_code == 200
    assert reader.put(f"{MEMBERS}/c1", {"mixins": {"x": 1}}).status_code == 403
    assert reader.delete(f"{MEMBERS}/c1").status_code == 403
    assert reader.put(BULK, [{"customerId": "c3"}]).status_code == 403
    assert reader.delete(BULK, [{"customerId": "c1"}]).status_code == 403
    assert _state() == before


def test_without_a_token_every_operation_is_a_401(members, anonymous):
    for method, path in [("GET", MEMBERS), ("PUT", f"{MEMBERS}/c1"), ("DELETE", BULK)]:
        response = anonymous.request(method, path, [] if path == BULK else None)
        assert response.status_code == 401
        assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"


# --- the contract -----------------------------------------------------------------------------

MEMBER_OPERATION_IDS = (
    "GET-customer-segment-retrieve-customers",
    "POST-customer-segment-search-customers",
    "GET-customer-segment-retrieve-customer-by-customerId",
    "PUT-customer-segment-update-customer-by-customerId",
    "DELETE-customer-segment-remove-customer-by-customerId",
    "GET-customer-segment-retrieve-customer",
    "PUT-customer-segment-update-customer",
    "DELETE-customer-segment-remove-customer",
    "PUT-customer-segment-update-customers-bulk",
    "DELETE-customer-segment-remove-customers-bulk",
)


@pytest.mark.parametrize("operation_id", MEMBER_OPERATION_IDS)
def test_operations_carry_the_vendors_ids_and_scopes(operation_id):
    reference = operations_by_id(yaml.safe_load(REFERENCE.read_text()))
    ours = operations_by_id(openapi_schema())

    assert operation_id in ours
    assert scopes_of(ours[operation_id]) == scopes_of(reference[operation_id])
