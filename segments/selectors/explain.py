"""Why a customer sees (or does not see) what the storefront shows them.

Every decision here is taken by the storefront's own selectors, asked once per question
for all segments at a time (a fixed number of queries, whatever the number of segments):

- membership: `membership.customer_assignments_of` (which assignments make a member) and
  `membership.segments_of_customer`;
- "the segment counts now": `membership.active_member_segments` (ACTIVE, valid at the
  moment, of the site), the very queryset the storefront reads start from;
- "the item reaches the customer": the rule of `storefront_match` (a product assigned
  directly, or placed in a category whose path holds an assigned category) and, for a
  category, the rule of `storefront_trees` (assigned itself or below an assigned one, and
  published along its whole path).

The reasons in words are only labels on those decisions: `active_at` and `valid_at` of
`SegmentQuerySet` answer the status and window questions, the text says which one failed.

Each membership says `how`: MANUAL or AUTOMATIC as stored, and EXCLUDED for an exclusion
of the customer. Every rule segment is also asked about the customer (`explain_rules`):
which conditions of its rule hold, on which values, and for which legal entities, so that
the answer says why the customer is an AUTOMATIC member, and when the stored members lag
behind the rule (an evaluation is pending).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from catalog.models import Category, Product, path_pks
from catalog.selectors.assignments import category_paths_of_products
from segments_project.api.documents import format_datetime
from segments_project.errors import NotFound

from ..documents.explain import (
    EXCLUDED,
    Explanation,
    ItemExplanation,
    Membership,
    Route,
    SegmentExplanation,
)
from ..models import (
    Customer,
    CustomerLegalEntity,
    ItemType,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
    SegmentStatus,
)
from .explain_rules import (
    RulePlan,
    customer_with_rule_flags,
    exclusion_reason,
    rule_checks,
    rule_notes,
    rule_plan,
)
from .membership import active_member_segments, customer_assignments_of, segments_of_customer


def _customer(
    tenant: str, customer_id: str, legal_entity_id: str | None, plan: RulePlan
) -> Customer:
    """The customer, with whether they act for the asked legal entity, their legal
    entities and the flags of the rule plan; two queries (see `customer_with_rule_flags`)."""
    customers = Customer.objects.filter(tenant_id=tenant, public_id=customer_id)
    if legal_entity_id is not None:
        customers = customers.annotate(
            acts=Exists(
                CustomerLegalEntity.objects.filter(
                    tenant_id=tenant,
                    customer_id=OuterRef("pk"),
                    legal_entity__tenant_id=tenant,
                    legal_entity__public_id=legal_entity_id,
                )
            )
        )
    customer = customer_with_rule_flags(plan, customers)
    if customer is None:
        raise NotFound(
            f"The customer with id {customer_id} has not been found.", resource_id=customer_id
        )
    return customer


@dataclass
class _Item:
    """The asked item, where it sits in the forest, and the categories on those paths."""

    found: bool
    item_id: str = ""
    pk: int | None = None
    published: bool | None = None
    paths: list[list[int]] = field(default_factory=list)  # root-first pks, one per placement
    categories: dict[int, tuple[str, bool]] = field(default_factory=dict)  # pk: (id, published)


def _item(tenant: str, item_type: ItemType, item_id: str) -> _Item:
    """Two queries for a category (itself, its lineage), three for a product (itself, its
    placements, their lineages)."""
    if item_type == ItemType.PRODUCT:
        row = (
            Product.objects.filter(tenant_id=tenant, public_id=item_id)
            .values_list("pk", "published")
            .first()
        )
        if row is None:
            return _Item(found=False)
        placed = category_paths_of_products(tenant=tenant, product_ids=[item_id])
        paths = [path_pks(path) for path in placed.get(item_id, [])]
    else:
        row = (
            Category.objects.filter(tenant_id=tenant, public_id=item_id)
            .values_list("pk", "published", "path")
            .first()
        )
        if row is None:
            return _Item(found=False)
        paths = [path_pks(row[2])]
    wanted = {pk for path in paths for pk in path}
    categories = {}
    if wanted:
        rows = Category.objects.filter(tenant_id=tenant, pk__in=wanted).values_list(
            "pk", "public_id", "published"
        )
        categories = {pk: (public_id, published) for pk, public_id, published in rows}
    return _Item(
        found=True, item_id=item_id, pk=row[0], published=row[1], paths=paths, categories=categories
    )


def _reaching_assignments(
    tenant: str, item_type: ItemType, item: _Item
) -> list[tuple[int, str, int | None]]:
    """(segment pk, assigned item type, assigned category pk) of every assignment that
    reaches the item, in any segment: the item itself, or a category on one of its paths."""
    own = Q(
        item_type=item_type,
        **{"product_id" if item_type == ItemType.PRODUCT else "category_id": item.pk},
    )
    on_paths = {pk for path in item.paths for pk in path}
    condition = own | Q(item_type=ItemType.CATEGORY, category_id__in=on_paths) if on_paths else own
    return list(
        SegmentItemAssignment.objects.filter(condition, tenant_id=tenant)
        .order_by()
        .values_list("segment_id", "item_type", "category_id")
    )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _segment_reasons(
    segment: Segment, member: bool, at: datetime, site_code: str | None, *, valid: bool
) -> list[str]:
    """Why a segment does not count for the customer, in words (empty when it counts)."""
    reasons = []
    if not member:
        reasons.append("not a member")
    if segment.status != SegmentStatus.ACTIVE:
        reasons.append(f"the segment's status is {segment.status}, not ACTIVE")
    if not valid:
        if segment.valid_from is not None and segment.valid_from > at:
            reasons.append(
                "outside its validity window: it starts at " + format_datetime(segment.valid_from)
            )
        else:
            ended = format_datetime(segment.valid_to) if segment.valid_to else "?"
            reasons.append(f"outside its validity window: it ended at {ended}")
    if site_code is not None and segment.site_code != site_code:
        reasons.append(f"the segment is of site {segment.site_code}, not {site_code}")
    return reasons


def _membership_reason(
    legal_entity_id: str | None, asked: str | None, acts: bool | None
) -> str | None:
    if asked is not None and not acts:
        return f"the customer does not act for the legal entity {asked}"
    if legal_entity_id is not None and legal_entity_id != asked:
        context = f"acting for {asked}" if asked else "as a private (B2C) customer"
        return f"a B2B membership for the legal entity {legal_entity_id}; asked {context}"
    return None


def explain_customer(
    *,
    tenant: str,
    customer_id: str,
    legal_entity_id: str | None,
    site_code: str | None,
    at: datetime,
    item_type: ItemType | None = None,
    item_id: str | None = None,
    assigned_rules_only: bool = False,
) -> Explanation:
    """Every segment that concerns the customer (assigned to them for any legal entity, or
    carrying the item) with whether and why it counts for them at `at` on the site, and,
    with an item, whether the customer sees it and through which assignment, or why not.

    Every rule segment is asked about the customer (relative dates taken at `at`); one
    that selects them concerns them too, as does one that excludes them. With
    `assigned_rules_only`, only the rules of the segments the customer is assigned to (what
    the storefront draws on is the stored membership): a tenant's thousands of rules are
    not compiled for a customer they do not concern.

    NotFound for an unknown customer. Five queries without an item, eight with a category,
    nine with a product, whatever the number of segments, assignments and rules (up to
    `explain_rules.MAX_FLAGS_PER_QUERY` rule conditions).
    """
    plan = rule_plan(
        tenant=tenant, customer_id=customer_id, at=at, assigned_rules_only=assigned_rules_only
    )
    customer = _customer(tenant, customer_id, legal_entity_id, plan)
    rules = rule_checks(plan, customer)
    acts = getattr(customer, "acts", None)
    item = _item(tenant, item_type, item_id) if item_type and item_id else None
    reaching = _reaching_assignments(tenant, item_type, item) if item and item.found else []

    applying = customer_assignments_of(
        tenant=tenant, customer_id=customer_id, legal_entity_id=legal_entity_id
    ).values("pk")
    assignments = list(
        SegmentCustomerAssignment.objects.filter(tenant_id=tenant, customer_id=customer.pk)
        .annotate(applies=_flag(Q(pk__in=applying)))
        .order_by("legal_entity__public_id", "pk")
        .values_list("segment_id", "assignment_type", "legal_entity__public_id", "applies")
    )
    selecting = {pk for pk, check in rules.items() if check.matches}
    wanted = {row[0] for row in assignments} | {row[0] for row in reaching}
    wanted |= plan.excluded | selecting
    members = segments_of_customer(
        tenant=tenant, customer_id=customer_id, legal_entity_id=legal_entity_id
    ).values("pk")
    counting = active_member_segments(
        tenant=tenant,
        customer_id=customer_id,
        legal_entity_id=legal_entity_id,
        at=at,
        site_code=site_code,
    ).values("pk")
    valid = Segment.objects.for_tenant(tenant).valid_at(at).values("pk")
    segments = (
        Segment.objects.for_tenant(tenant)
        .filter(pk__in=wanted)
        .annotate(
            is_member=_flag(Q(pk__in=members)),
            counts_now=_flag(Q(pk__in=counting)),
            valid_now=_flag(Q(pk__in=valid)),
        )
        .order_by("public_id")
        if wanted
        else Segment.objects.none()
    )
    explained: dict[int, SegmentExplanation] = {}
    for segment in segments:
        explained[segment.pk] = SegmentExplanation(
            segment=segment,
            member=segment.is_member,
            counts=segment.counts_now,
            reasons=[]
            if segment.counts_now
            else _segment_reasons(
                segment, segment.is_member, at, site_code, valid=segment.valid_now
            ),
            rule=rules.get(segment.pk),
        )
    for segment_pk, how, membership_legal_entity, applies in assignments:
        explained[segment_pk].memberships.append(
            Membership(
                how=how,
                legal_entity_id=membership_legal_entity,
                applies=applies,
                reason=None
                if applies
                else _membership_reason(membership_legal_entity, legal_entity_id, acts),
            )
        )
    for segment_pk, entry in explained.items():
        excluded = segment_pk in plan.excluded
        if excluded:
            entry.memberships.append(
                Membership(
                    how=EXCLUDED,
                    legal_entity_id=None,
                    applies=False,
                    reason=exclusion_reason(entry.rule),
                )
            )
        entry.notes = rule_notes(entry.rule, entry.memberships, excluded=excluded)
    for entry in explained.values():
        if not entry.member and (entry.memberships or entry.notes):
            why = "; ".join([m.reason for m in entry.memberships if m.reason] + entry.notes)
            entry.reasons[0] = f"not a member ({why})" if why else entry.reasons[0]
    return Explanation(
        customer=customer,
        legal_entity_id=legal_entity_id,
        acts_for_legal_entity=acts,
        site_code=site_code,
        at=at,
        segments=list(explained.values()),
        item=_item_explanation(item_type, item_id, item, reaching, explained)
        if item is not None
        else None,
    )


def _routes(
    item: _Item,
    reaching: list[tuple[int, str, int | None]],
    explained: dict[int, SegmentExplanation],
) -> list[Route]:
    """Each reaching assignment as a route: a product assigned directly, or an assigned
    category with the path from it down to the category holding the item (the item itself
    for a category), once per placement it is on."""
    routes: set[Route] = set()
    for segment_pk, assigned_type, category_pk in reaching:
        entry = explained[segment_pk]
        if assigned_type == ItemType.PRODUCT:
            routes.add(
                Route(entry.segment.public_id, assigned_type, item.item_id, (), entry.counts)
            )
            continue
        for path in item.paths:
            if category_pk in path:
                ids = tuple(item.categories[pk][0] for pk in path[path.index(category_pk) :])
                routes.add(Route(entry.segment.public_id, assigned_type, ids[0], ids, entry.counts))
    return sorted(routes, key=lambda r: (r.segment_id, len(r.path), r.path))


def _hidden_by(item_type: ItemType, item: _Item) -> str | None:
    """Why the storefront hides the item whatever the segments say, or None."""
    if item_type != ItemType.CATEGORY:
        return None
    # The tree (`segment_category_forest`) leaves out unpublished categories and every
    # branch under one: such a category is not seen even through a counting segment.
    unpublished = [item.categories[pk][0] for pk in item.paths[0] if not item.categories[pk][1]]
    if not unpublished:
        return None
    return (
        "not visible: the category tree leaves out unpublished categories and what is below "
        "them, and " + ", ".join(unpublished) + " is unpublished"
    )


def _not_reached(
    item_type: ItemType,
    item_id: str,
    routes: list[Route],
    explained: dict[int, SegmentExplanation],
) -> str:
    if not routes:
        return (
            f"not visible: the {item_type} {item_id} is assigned to no segment (neither "
            "directly nor through a category above it)"
        )
    reasons = {entry.segment.public_id: entry.reasons for entry in explained.values()}
    parts = [
        f"segment {segment_id}: " + "; ".join(reasons[segment_id])
        for segment_id in sorted({route.segment_id for route in routes})
    ]
    return "not visible: " + " | ".join(parts)


def _item_explanation(
    item_type: ItemType,
    item_id: str,
    item: _Item,
    reaching: list[tuple[int, str, int | None]],
    explained: dict[int, SegmentExplanation],
) -> ItemExplanation:
    if not item.found:
        return ItemExplanation(
            item_type=item_type,
            item_id=item_id,
            found=False,
            published=None,
            visible=False,
            routes=[],
            visible_through=[],
            reason=f"not visible: there is no {item_type} {item_id} in the tenant's catalog",
            notes=[],
        )
    routes = _routes(item, reaching, explained)
    through = sorted({route.segment_id for route in routes if route.counts})
    hidden_by = _hidden_by(item_type, item)
    notes = []
    if item_type == ItemType.PRODUCT and not item.published:
        notes.append(
            "the product is unpublished: segment answers (items, match) still name it, but "
            "the product reads hide it from callers without the unpublished scopes"
        )
    reason = hidden_by if through else _not_reached(item_type, item_id, routes, explained)
    return ItemExplanation(
        item_type=item_type,
        item_id=item_id,
        found=True,
        published=item.published,
        visible=bool(through) and hidden_by is None,
        routes=routes,
        visible_through=through if hidden_by is None else [],
        reason=reason,
        notes=notes,
    )
