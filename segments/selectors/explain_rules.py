"""How every rule segment of a tenant sees one customer, for the explain answer.

Each rule is asked about the one customer row with the list compiler rule evaluation uses
(`compile_query` over `CUSTOMER_QUERY_FIELDS` for `criteria.q`, `legal_entities_matching`
for `criteria.legalEntities`), as EXISTS flags annotated on the customer's own query: one
per top-level condition of `q` (its text as written comes from the q parser), so the answer
can say which condition failed. `customers_matching` applies each condition with joins of
its own too, so `q` holds exactly when every condition does. The flags of `legalEntities`
ride on the prefetch of the customer's legal entities. Two queries for all
the rule segments of the tenant, plus one per `MAX_FLAGS_PER_QUERY` flags beyond the
first (a database caps the columns of one row); never a query per segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from segments_project.api.query import compile_query, condition_texts
from segments_project.errors import ValidationFailed

from ..documents.directory import CUSTOMER_QUERY_FIELDS, customer_document
from ..documents.explain import EXCLUDED, ConditionCheck, Membership, RuleCheck
from ..models import (
    AssignmentType,
    Customer,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentExclusion,
)
from .criteria import legal_entities_matching

# PostgreSQL allows 1664 columns in a result row, SQLite 2000 by default: stay well below.
MAX_FLAGS_PER_QUERY = 1000


@dataclass(frozen=True)
class _SegmentRule:
    pk: int
    criteria: dict[str, str] | None
    excluded: bool
    conditions: tuple[tuple[str, str, str], ...] = ()  # (flag name, field, condition text)
    error: str | None = None

    @property
    def legal_entity_flag(self) -> str:
        return f"rule_{self.pk}_le"


@dataclass
class RulePlan:
    """The tenant's rule segments and the customer's exclusions, with the flags to ask."""

    tenant: str
    at: datetime
    rules: list[_SegmentRule]
    customer_flags: dict[str, Expression] = field(default_factory=dict)
    legal_entity_flags: dict[str, Exists] = field(default_factory=dict)

    @property
    def excluded(self) -> set[int]:
        return {rule.pk for rule in self.rules if rule.excluded}


def rule_plan(
    *, tenant: str, customer_id: str, at: datetime, assigned_rules_only: bool = False
) -> RulePlan:
    """One query: every rule segment of the tenant (with `assigned_rules_only`, those the
    customer is assigned to) and every segment that excludes the customer, with the flags
    that will ask each rule about the customer (relative dates taken at `at`). A rule that
    no longer compiles (it was accepted when written) is reported with its error instead
    of failing the explanation."""
    # The segments as sets read once (hashed), not `EXISTS` per segment: from the cost of
    # 20,000 correlated subqueries PostgreSQL compiled the query with JIT (0.2 to 0.3 s of a
    # query that runs in 20 ms at L). The customer is named with their tenant, so that the
    # unique (tenant, id) index finds them (by the id alone it walked that index).
    customer = {"customer__tenant_id": tenant, "customer__public_id": customer_id}
    excluding = Q(
        pk__in=SegmentExclusion.objects.filter(tenant_id=tenant, **customer).values("segment_id")
    )
    rule = Q(criteria__isnull=False)
    if assigned_rules_only:
        rule &= Q(
            pk__in=SegmentCustomerAssignment.objects.filter(tenant_id=tenant, **customer).values(
                "segment_id"
            )
        )
    rows = (
        Segment.objects.for_tenant(tenant)
        .annotate(excluded=ExpressionWrapper(excluding, output_field=BooleanField()))
        .filter(rule | excluding)
        .order_by("pk")
        .values_list("pk", "criteria", "excluded")
    )
    plan = RulePlan(tenant=tenant, at=at, rules=[])
    for pk, criteria, excluded in rows:
        plan.rules.append(_planned(plan, _SegmentRule(pk, criteria or None, excluded)))
    return plan


def _planned(plan: RulePlan, rule: _SegmentRule) -> _SegmentRule:
    """Adds the rule's flags to the plan; the rule with its conditions (or its error)."""
    if rule.criteria is None:
        return rule
    customer = OuterRef("pk")
    flags: dict[str, Expression] = {}
    conditions = []
    try:
        if "q" in rule.criteria:
            text = rule.criteria["q"]
            compiled = compile_query(text, CUSTOMER_QUERY_FIELDS, now=plan.at, param="criteria.q")
            # One compiled part per top-level condition, in order.
            written = condition_texts(text)
            for number, ((name, condition), part) in enumerate(
                zip(written, compiled.children, strict=True)
            ):
                flag = f"rule_{rule.pk}_c{number}"
                flags[flag] = _holds(name, Q(part))
                conditions.append((flag, name, condition))
        if "legalEntities" in rule.criteria:
            matching = legal_entities_matching(
                tenant=plan.tenant, criteria=rule.criteria, now=plan.at
            )
            plan.legal_entity_flags[rule.legal_entity_flag] = Exists(matching.filter(pk=customer))
    except ValidationFailed as error:
        return _SegmentRule(rule.pk, rule.criteria, rule.excluded, error=error.message)
    plan.customer_flags.update(flags)
    return _SegmentRule(rule.pk, rule.criteria, rule.excluded, tuple(conditions))


# The customer fields whose condition joins another table (one row per link).
_JOINED_FIELDS = frozenset(
    name for name, spec in CUSTOMER_QUERY_FIELDS.items() if "__" in spec.path
)


def _holds(field_name: str, condition: Q) -> Expression:
    """Whether `condition` holds for the customer row: the condition itself as a column,
    or, for a field across a join, an EXISTS on the customer's own row with a join of its
    own, as `customers_matching` filters each condition. Either way the rule's `q` holds
    exactly when every condition does."""
    if field_name in _JOINED_FIELDS:
        return Exists(Customer.objects.filter(pk=OuterRef("pk")).filter(condition))
    return ExpressionWrapper(condition, output_field=BooleanField())


def customer_with_rule_flags(plan: RulePlan, customers: QuerySet[Customer]) -> Customer | None:
    """The first of `customers` (the one being explained) with every flag of the plan and
    its legal entities loaded: two queries, and one more per `MAX_FLAGS_PER_QUERY` flags
    beyond the first."""
    names = list(plan.customer_flags)
    chunks = [names[i : i + MAX_FLAGS_PER_QUERY] for i in range(0, len(names), MAX_FLAGS_PER_QUERY)]
    first = {name: plan.customer_flags[name] for name in chunks[0]} if chunks else {}
    legal_entities = LegalEntity.objects.only("public_id").annotate(**plan.legal_entity_flags)
    customer = (
        customers.annotate(**first)
        .prefetch_related(Prefetch("legal_entities", queryset=legal_entities.order_by("public_id")))
        .first()
    )
    if customer is None:
        return None
    for chunk in chunks[1:]:
        flags = {name: plan.customer_flags[name] for name in chunk}
        row = Customer.objects.filter(pk=customer.pk).values(**flags).get()
        for name, value in row.items():
            setattr(customer, name, value)
    return customer


def rule_checks(plan: RulePlan, customer: Customer) -> dict[int, RuleCheck]:
    """Per rule segment (by pk), what its rule says about `customer` (as
    `customer_with_rule_flags` loaded it); no query."""
    document = customer_document(customer)
    legal_entities = list(customer.legal_entities.all())
    checks: dict[int, RuleCheck] = {}
    for rule in plan.rules:
        if rule.criteria is None:
            continue
        check = RuleCheck(
            q=rule.criteria.get("q"),
            legal_entities=rule.criteria.get("legalEntities"),
            error=rule.error,
        )
        checks[rule.pk] = check
        if rule.error is not None:
            continue
        if check.q is not None:
            check.conditions = [
                ConditionCheck(
                    condition=condition,
                    field=name,
                    values=document_values(document, name),
                    holds=bool(getattr(customer, flag)),
                )
                for flag, name, condition in rule.conditions
            ]
            check.q_matches = all(condition.holds for condition in check.conditions)
        if check.legal_entities is not None:
            for legal_entity in legal_entities:
                matched = bool(getattr(legal_entity, rule.legal_entity_flag))
                target = check.matching_legal_entities if matched else check.other_legal_entities
                target.append(legal_entity.public_id)
    return checks


def document_values(document: dict[str, Any], name: str) -> list[Any]:
    """The values at the dotted field `name` of a document, as a list: an array on the way
    (`addresses`, `legalEntityIds`, `addresses.tags`) contributes each of its elements;
    an absent member none."""
    values: list[Any] = [document]
    for key in name.split("."):
        found: list[Any] = []
        for value in values:
            if isinstance(value, dict) and key in value:
                member = value[key]
                found.extend(member if isinstance(member, list) else [member])
        values = found
    return values


def exclusion_reason(rule: RuleCheck | None) -> str:
    """Why an exclusion of the customer matters: whether the rule selects them now."""
    if rule is None:
        return "the customer is excluded (the segment has no rule to keep them out of)"
    if rule.matches:
        return "the rule selects the customer, but an exclusion keeps them out of its members"
    return "the customer is excluded (the rule does not select them anyway)"


def _role(legal_entity_id: str | None) -> str:
    return f" for the legal entity {legal_entity_id}" if legal_entity_id else " (B2C)"


def rule_notes(
    rule: RuleCheck | None, memberships: list[Membership], *, excluded: bool
) -> list[str]:
    """Where the stored members lag behind the rule (an evaluation will bring them in
    line), or why the rule could not be asked."""
    if rule is None:
        return []
    if rule.error is not None:
        return [f"the rule cannot be evaluated: {rule.error}"]
    stored = {m.legal_entity_id: m.how for m in memberships if m.how != EXCLUDED}
    selected = set() if excluded else rule.roles()
    notes = [
        f"the rule selects the customer{_role(role)}, who is not an AUTOMATIC member yet: "
        "an evaluation is pending"
        for role in sorted(selected - set(stored), key=lambda role: role or "")
    ]
    for role, how in sorted(stored.items(), key=lambda item: item[0] or ""):
        if how == AssignmentType.AUTOMATIC and role not in selected:
            why = "is excluded" if excluded else "is no longer selected by the rule"
            notes.append(
                f"an AUTOMATIC member{_role(role)} who {why}: the next evaluation removes it"
            )
    return notes
