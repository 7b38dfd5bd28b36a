"""GET /segments/explain for rule segments: AUTOMATIC memberships with the conditions that
matched and the customer's values, EXCLUDED memberships, and members that lag behind the
rule (evaluation pending)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.models import Customer
from segments.selectors.criteria import criteria_matches
from segments.selectors.explain import explain_customer
from segments.services.exclusions import exclusion_put
from segments.services.rule_evaluation import segment_rule_apply

from ..catalog.factories import make_product
from ..conftest import OTHER_TENANT, TENANT, Caller
from .factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

pytestmark = pytest.mark.django_db

EXPLAIN = f"/customer-segment/{TENANT}/segments/explain"
LOYAL_Q = "addresses.country:DE mixins.loyalty.points:>=500 preferredLanguage:(de,en)"
BERLIN = {"country": "DE", "city": "Berlin", "zipCode": "10115", "tags": [], "isDefault": True}
LYON = {"country": "FR", "city": "Lyon", "zipCode": "69001", "tags": [], "isDefault": False}


def _profile(tenant: str, customer_id: str, **values) -> None:
    Customer.objects.filter(tenant_id=tenant, public_id=customer_id).update(**values)


def _directory(tenant: str) -> None:
    """ann: German speaker with addresses in Berlin and Lyon and 700 points, acting for
    acme (Acme) and initech (Initech); bob: no profile."""
    acme = make_legal_entity(tenant, "acme", name="Acme")
    initech = make_legal_entity(tenant, "initech", name="Initech")
    make_customer(tenant, "ann", legal_entities=(acme, initech))
    make_customer(tenant, "bob")
    _profile(
        tenant,
        "ann",
        preferred_language="de",
        addresses=[BERLIN, LYON],
        mixins={"loyalty": {"points": 700}},
    )


@pytest.fixture
def rules(db):
    """loyal (q and legalEntities, evaluated: ann AUTOMATIC B2C and for acme), vip
    (evaluated, then ann excluded), strict (does not select ann, who is excluded anyway),
    spanish (selects nobody: concerns no one), both (ann MANUAL and selected)."""
    _directory(TENANT)
    ann = Customer.objects.get(tenant_id=TENANT, public_id="ann")
    make_segment(TENANT, "loyal", criteria={"q": LOYAL_Q, "legalEntities": "name:Acme"})
    make_segment(TENANT, "vip", criteria={"q": "mixins.loyalty.points:>=500"})
    make_segment(TENANT, "strict", criteria={"q": "preferredLanguage:fr"})
    make_segment(TENANT, "spanish", criteria={"q": "addresses.country:ES"})
    assign_customer(make_segment(TENANT, "both", criteria={"q": "id:ann"}), ann)
    for segment_id in ("loyal", "vip", "strict", "spanish", "both"):
        segment_rule_apply(tenant=TENANT, segment_id=segment_id)
    exclusion_put(tenant=TENANT, segment_id="vip", customer_id="ann")
    exclusion_put(tenant=TENANT, segment_id="strict", customer_id="ann")
    return ann


def _explain(caller: Caller, **params) -> dict:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    response = caller.get(f"{EXPLAIN}?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def _segments(answer: dict) -> dict[str, dict]:
    return {entry["segmentId"]: entry for entry in answer["segments"]}


def _memberships(entry: dict) -> list[tuple]:
    return sorted(
        (m["how"], m["legalEntityId"] or "", m["applies"], m["reason"])
        for m in entry["memberships"]
    )


def test_automatic_membership_names_each_condition_with_the_customers_values(reader, rules):
    answer = _explain(reader, customerId="ann")

    loyal = _segments(answer)["loyal"]
    assert loyal["member"] is True
    assert loyal["counts"] is True
    assert _memberships(loyal) == [
        ("AUTOMATIC", "", True, None),
        (
            "AUTOMATIC",
            "acme",
            False,
            "a B2B membership for the legal entity acme; asked as a private (B2C) customer",
        ),
    ]
    assert loyal["rule"] == {
        "matches": True,
        "q": {
            "text": LOYAL_Q,
            "matches": True,
            "conditions": [
                {
                    "condition": "addresses.country:DE",
                    "field": "addresses.country",
                    "values": ["DE", "FR"],
                    "holds": True,
                },
                {
                    "condition": "mixins.loyalty.points:>=500",
                    "field": "mixins.loyalty.points",
                    "values": [700],
                    "holds": True,
                },
                {
                    "condition": "preferredLanguage:(de,en)",
                    "field": "preferredLanguage",
                    "values": ["de"],
                    "holds": True,
                },
            ],
        },
        "legalEntities": {
            "text": "name:Acme",
            "matchingLegalEntityIds": ["acme"],
            "otherLegalEntityIds": ["initech"],
        },
        "notes": [],
    }


def test_excluded_while_the_rule_selects_and_while_it_would_not(reader, rules):
    segments = _segments(_explain(reader, customerId="ann"))

    vip, strict = segments["vip"], segments["strict"]
    selects = "the rule selects the customer, but an exclusion keeps them out of its members"
    assert vip["memberships"] == [
        {"how": "EXCLUDED", "legalEntityId": None, "applies": False, "reason": selects}
    ]
    assert (vip["member"], vip["rule"]["matches"], vip["rule"]["notes"]) == (False, True, [])
    assert vip["reasons"] == [f"not a member ({selects})"]
    assert strict["memberships"][0]["reason"] == (
        "the customer is excluded (the rule does not select them anyway)"
    )
    assert strict["rule"]["q"]["conditions"] == [
        {
            "condition": "preferredLanguage:fr",
            "field": "preferredLanguage",
            "values": ["de"],
            "holds": False,
        }
    ]


def test_a_manual_member_the_rule_selects_stays_one_manual_membership(reader, rules):
    both = _segments(_explain(reader, customerId="ann"))["both"]

    assert _memberships(both) == [("MANUAL", "", True, None)]
    assert both["rule"]["matches"] is True
    assert both["rule"]["notes"] == []


def test_a_rule_that_selects_nobody_does_not_concern_the_customer(reader, rules):
    assert "spanish" not in _segments(_explain(reader, customerId="ann"))
    assert _segments(_explain(reader, customerId="bob")) == {}


def test_members_that_lag_behind_the_rule_are_said_to_wait_for_an_evaluation(reader, rules):
    make_segment(TENANT, "new-rule", criteria={"q": "id:ann"})  # not evaluated yet
    _profile(TENANT, "ann", mixins={"loyalty": {"points": 100}})  # no engine in this test

    segments = _segments(_explain(reader, customerId="ann"))

    pending = (
        "the rule selects the customer (B2C), who is not an AUTOMATIC member yet: an "
        "evaluation is pending"
    )
    assert segments["new-rule"]["member"] is False
    assert segments["new-rule"]["rule"]["notes"] == [pending]
    assert segments["new-rule"]["reasons"] == [f"not a member ({pending})"]
    loyal = segments["loyal"]
    assert loyal["rule"]["q"]["matches"] is False
    assert [c["holds"] for c in loyal["rule"]["q"]["conditions"]] == [True, False, True]
    assert loyal["rule"]["q"]["conditions"][1]["values"] == [100]
    assert loyal["rule"]["notes"] == [
        "an AUTOMATIC member (B2C) who is no longer selected by the rule: the next "
        "evaluation removes it"
    ]
    assert loyal["member"] is True  # the stored membership is what the storefront uses


def test_a_rule_segment_carrying_the_item_says_which_condition_fails(reader, rules):
    product = make_product(TENANT, "p-fr")
    assign_item(make_segment(TENANT, "french", criteria={"q": "preferredLanguage:fr"}), product)

    answer = _explain(reader, customerId="ann", itemType="PRODUCT", itemId="p-fr")

    french = _segments(answer)["french"]
    assert french["rule"]["q"]["conditions"][0]["holds"] is False
    assert answer["item"]["visible"] is False
    assert answer["item"]["reason"] == "not visible: segment french: not a member"


def test_an_automatic_member_does_not_see_the_items_of_an_expired_rule_segment(reader, rules):
    ended = timezone.now() - timedelta(days=1)
    expired = make_segment(TENANT, "ended", criteria={"q": "id:ann"}, valid_to=ended)
    assign_item(expired, make_product(TENANT, "p-old"))
    segment_rule_apply(tenant=TENANT, segment_id="ended")

    answer = _explain(reader, customerId="ann", itemType="PRODUCT", itemId="p-old")

    entry = _segments(answer)["ended"]
    assert _memberships(entry) == [("AUTOMATIC", "", True, None)]
    assert entry["rule"]["matches"] is True
    assert answer["item"]["visible"] is False
    assert answer["item"]["reason"].startswith(
        "not visible: segment ended: outside its validity window: it ended at "
    )


def test_a_stored_rule_that_no_longer_compiles_is_reported_not_a_500(reader, rules):
    assign_customer(make_segment(TENANT, "broken", criteria={"q": "nosuch:1"}), rules)

    broken = _segments(_explain(reader, customerId="ann"))["broken"]

    assert broken["rule"]["matches"] is False
    assert broken["rule"]["notes"][0].startswith("the rule cannot be evaluated: ")
    assert "nosuch" in broken["rule"]["notes"][0]


def test_a_customer_token_explains_its_own_automatic_membership_only(issue_token, rules):
    ann = Caller(issue_token(customer_id="ann"))

    answer = _explain(ann)

    assert _segments(answer)["loyal"]["rule"]["matches"] is True
    assert ann.get(f"{EXPLAIN}?customerId=bob").status_code == 403


def test_rules_and_exclusions_of_another_tenant_are_never_shown(reader, rules):
    _directory(OTHER_TENANT)
    make_segment(OTHER_TENANT, "elsewhere", criteria={"q": "id:ann"})
    make_segment(OTHER_TENANT, "also-excluded", criteria={"q": "id:bob"})
    exclusion_put(tenant=OTHER_TENANT, segment_id="also-excluded", customer_id="ann")
    segment_rule_apply(tenant=OTHER_TENANT, segment_id="elsewhere")

    ours = _segments(_explain(reader, customerId="ann"))
    theirs = explain_customer(
        tenant=OTHER_TENANT,
        customer_id="ann",
        legal_entity_id=None,
        site_code=None,
        at=timezone.now(),
    )

    assert sorted(ours) == ["both", "loyal", "strict", "vip"]
    assert sorted(entry.segment.public_id for entry in theirs.segments) == [
        "also-excluded",
        "elsewhere",
    ]


def test_the_rules_cost_the_same_queries_for_few_or_many_segments(rules):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            explain_customer(
                tenant=TENANT,
                customer_id="ann",
                legal_entity_id="acme",
                site_code=None,
                at=timezone.now(),
            )
        return len(queries)

    before = count()
    for number in range(25):
        make_segment(
            TENANT,
            f"more-{number}",
            criteria={
                "q": f"{LOYAL_Q} mixins.loyalty.points:>{number}",
                "legalEntities": "id:acme",
            },
        )
        segment_rule_apply(tenant=TENANT, segment_id=f"more-{number}")
        if number % 2:
            exclusion_put(tenant=TENANT, segment_id=f"more-{number}", customer_id="ann")
    after = count()

    assert before == after == 5


@pytest.mark.parametrize(
    "q",
    [
        "legalEntityIds:acme legalEntityIds:initech",
        "legalEntityIds:acme addresses.country:FR",
        "addresses.country:(ES,DE) mixins.loyalty.points:<1000 preferredLanguage:de",
        "mixins.loyalty.points:missing",
        "addresses.city:~Ly active:true",
    ],
)
def test_the_rule_answers_agree_with_what_the_rule_selects(rules, q):
    make_segment(TENANT, "probe", criteria={"q": q})
    selected = set(
        criteria_matches(tenant=TENANT, criteria={"q": q}).values_list("public_id", flat=True)
    )

    for customer_id in ("ann", "bob"):
        explanation = explain_customer(
            tenant=TENANT,
            customer_id=customer_id,
            legal_entity_id=None,
            site_code=None,
            at=timezone.now(),
        )
        probe = [entry for entry in explanation.segments if entry.segment.public_id == "probe"]
        matches = bool(probe) and probe[0].rule.q_matches
        assert matches == (customer_id in selected), customer_id


def test_assigned_rules_only_leaves_out_the_rules_of_segments_the_customer_is_not_in(rules):
    """The admin's preview: only the rules of segments the customer is assigned to are
    asked (and every exclusion kept); a rule that would select them but has not been
    evaluated, or that selects nobody, is not compiled."""
    make_segment(TENANT, "new-rule", criteria={"q": "id:ann"})  # not evaluated yet

    everything = explain_customer(
        tenant=TENANT, customer_id="ann", legal_entity_id=None, site_code=None, at=timezone.now()
    )
    assigned = explain_customer(
        tenant=TENANT,
        customer_id="ann",
        legal_entity_id=None,
        site_code=None,
        at=timezone.now(),
        assigned_rules_only=True,
    )

    assert "new-rule" in {entry.segment.public_id for entry in everything.segments}
    explained = {entry.segment.public_id: entry for entry in assigned.segments}
    assert set(explained) == {"loyal", "vip", "strict", "both"}
    assert explained["loyal"].rule is not None and explained["loyal"].rule.matches
    assert [m.how for m in explained["strict"].memberships] == ["EXCLUDED"]
