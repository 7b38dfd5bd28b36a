"""`manage.py generate_dataset` at a tiny scale: counts, determinism, consistency."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils.dateparse import parse_datetime

from catalog.models import Category, CategoryAssignment, Product
from coupons.models import Coupon
from segments.documents.criteria import clean_criteria
from segments.documents.directory import (
    CUSTOMER_QUERY_FIELDS,
    customer_document,
    customer_values,
)
from segments.models import (
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)
from segments.selectors.criteria import criteria_preview
from segments_project.api.documents import format_datetime
from segments_project.api.query import compile_query
from segments_project.benchdata.rules import RULE_SEGMENT_SHARE, TEMPLATES
from segments_project.benchdata.scales import scale_for
from segments_project.tenancy.models import ApiClient, Tenant
from segments_project.tenancy.scopes import ALL_SCOPES
from tests.catalog.factories import parent_link_order, tree_key_order

TENANT = "benchxs"
SECRET = "bench-secret-for-tests"
XS = scale_for("XS")


def generate(*extra: str, seed: int = 7) -> str:
    out = StringIO()
    call_command(
        "generate_dataset",
        "--tenant",
        TENANT,
        "--scale",
        "XS",
        "--seed",
        str(seed),
        "--client-secret",
        SECRET,
        *extra,
        stdout=out,
    )
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything generated, by public ids (surrogate keys differ from run to run)."""
    return {
        "customers": sorted(Customer.objects.filter(tenant=TENANT).values_list("public_id")),
        "profiles": sorted(
            Customer.objects.filter(tenant=TENANT).values_list(
                "public_id", "preferred_language", "preferred_currency", "active", "addresses"
            ),
            key=repr,
        ),
        "segments": sorted(
            Segment.objects.filter(tenant=TENANT).values_list(
                "public_id", "status", "site_code", "valid_from", "valid_to"
            )
        ),
        "members": sorted(
            SegmentCustomerAssignment.objects.filter(tenant=TENANT).values_list(
                "segment__public_id", "customer__public_id", "legal_entity__public_id"
            ),
            key=repr,
        ),
        "items": sorted(
            SegmentItemAssignment.objects.filter(tenant=TENANT).values_list(
                "segment__public_id", "product__public_id", "category__public_id"
            ),
            key=repr,
        ),
        "categories": sorted(
            Category.objects.filter(tenant=TENANT).values_list(
                "public_id", "parent__public_id", "depth", "position"
            ),
            key=repr,
        ),
        "placements": sorted(
            CategoryAssignment.objects.filter(tenant=TENANT).values_list(
                "public_id", "product__public_id", "category__public_id"
            )
        ),
        "coupons": sorted(Coupon.objects.filter(tenant=TENANT).values_list("public_id")),
        "mixins": sorted(
            Customer.objects.filter(tenant=TENANT).values_list("public_id", "mixins"), key=repr
        ),
        "rules": sorted(
            Segment.objects.filter(tenant=TENANT, criteria__isnull=False).values_list(
                "public_id", "criteria"
            ),
            key=repr,
        ),
    }


@pytest.fixture
def generated(db) -> str:
    return generate()


def test_counts(generated):
    assert Customer.objects.filter(tenant=TENANT).count() == XS.customers
    assert LegalEntity.objects.filter(tenant=TENANT).count() == XS.legal_entities
    assert Segment.objects.filter(tenant=TENANT).count() == XS.segments
    assert SegmentCustomerAssignment.objects.filter(tenant=TENANT).count() == (
        XS.customer_assignments
    )
    assert Category.objects.filter(tenant=TENANT).count() == XS.categories
    assert Product.objects.filter(tenant=TENANT).count() == XS.products
    assert SegmentItemAssignment.objects.filter(tenant=TENANT).count() == XS.item_assignments
    assert Coupon.objects.filter(tenant=TENANT).count() == XS.coupons
    b2b = CustomerLegalEntity.objects.filter(tenant=TENANT).values("customer").distinct()
    assert b2b.count() == XS.b2b_customers
    # Every product is in 1 to 3 categories.
    per_product = {
        product: count
        for product, count in CategoryAssignment.objects.filter(tenant=TENANT)
        .values_list("product")
        .annotate(count=Count("id"))
        .values_list("product", "count")
    }
    assert len(per_product) == XS.products
    assert set(per_product.values()) <= {1, 2, 3}
    assert "Client secret" not in generated  # given, so not printed


def test_mix_of_segments_items_and_coupons(generated):
    segments = Segment.objects.filter(tenant=TENANT)
    assert set(segments.values_list("site_code", flat=True)) == {"main", "outlet", "b2b"}
    assert segments.filter(status="INACTIVE").exists()
    assert segments.filter(status="ACTIVE", valid_to__isnull=False).exists()
    assert segments.filter(status="ACTIVE", valid_from__isnull=False).exists()
    items = SegmentItemAssignment.objects.filter(tenant=TENANT)
    assert items.filter(item_type="PRODUCT").exists()
    assert items.filter(item_type="CATEGORY").exists()
    assert Category.objects.filter(tenant=TENANT).values("depth").distinct().count() == 6
    assert Coupon.objects.filter(tenant=TENANT, segment_restricted=True).exists()
    # Most customers are in 1 to 10 segments, none in none.
    per_customer = list(
        SegmentCustomerAssignment.objects.filter(tenant=TENANT)
        .values("customer")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert len(per_customer) == XS.customers
    assert sum(1 <= n <= 10 for n in per_customer) > len(per_customer) / 2


def test_category_paths_are_consistent(generated):
    categories = {c.pk: c for c in Category.objects.filter(tenant=TENANT)}
    for category in categories.values():
        if category.parent_id is None:
            assert category.path == f"/{category.pk}/"
            assert category.depth == 0
        else:
            parent = categories[category.parent_id]
            assert category.path == f"{parent.path}{category.pk}/"
            assert category.depth == parent.depth + 1
    positions = {}
    for category in categories.values():
        positions.setdefault(category.parent_id, []).append(category.position)
    assert all(sorted(p) == list(range(len(p))) for p in positions.values())
    # The admin's tree order, as the catalog's services would have stored it.
    assert tree_key_order(TENANT) == parent_link_order(TENANT)


def test_b2b_assignments_use_the_customers_own_legal_entities(generated):
    links = set(
        CustomerLegalEntity.objects.filter(tenant=TENANT).values_list(
            "customer_id", "legal_entity_id"
        )
    )
    b2b_rows = SegmentCustomerAssignment.objects.filter(
        tenant=TENANT, legal_entity__isnull=False
    ).values_list("customer_id", "legal_entity_id")
    assert b2b_rows.exists()
    assert set(b2b_rows) <= links
    b2b_customers = {customer for customer, _ in links}
    b2b_members = SegmentCustomerAssignment.objects.filter(
        tenant=TENANT, customer_id__in=b2b_customers
    )
    # Mostly with their legal entity.
    assert b2b_members.filter(legal_entity__isnull=False).count() > b2b_members.count() / 2


def test_same_seed_same_data_other_seed_other_ids(generated):
    first = snapshot()
    generate("--replace")
    assert snapshot() == first
    generate("--replace", seed=8)
    other = snapshot()
    assert set(other["customers"]).isdisjoint(first["customers"])
    assert len(other["members"]) == len(first["members"])


def test_refuses_a_tenant_with_data_unless_replace(generated):
    with pytest.raises(CommandError, match="already has data"):
        generate()
    generate("--replace")
    assert Customer.objects.filter(tenant=TENANT).count() == XS.customers


def test_creates_a_client_with_every_scope_and_marks_the_answers_stale(db, published):
    Tenant.objects.create(name=TENANT)
    generate()
    client = ApiClient.objects.get(application__client_id=f"{TENANT}-client")
    assert client.tenant_id == TENANT
    assert client.scopes == ALL_SCOPES
    assert published[-1] == (TENANT, frozenset({"t"}))


def test_generated_secret_is_printed(db):
    out = StringIO()
    call_command("generate_dataset", "--tenant", TENANT, "--scale", "xs", stdout=out)
    assert "Client secret: " in out.getvalue()


def test_unknown_scale_is_refused(db):
    with pytest.raises(CommandError, match="--scale"):
        call_command("generate_dataset", "--tenant", TENANT, "--scale", "XXL")


def test_invalid_tenant_name_is_a_command_error(db):
    with pytest.raises(CommandError, match="tenant name"):
        call_command("generate_dataset", "--tenant", "Not-Valid", "--scale", "XS")


def test_hidden_factor_scales_every_count(db):
    call_command(
        "generate_dataset",
        "--tenant",
        TENANT,
        "--scale",
        "tiny",
        "--factor",
        "0.0006",
        stdout=StringIO(),
    )
    tiny = scale_for("tiny", 0.0006)
    assert tiny.customers == 60
    assert Customer.objects.filter(tenant=TENANT).count() == tiny.customers
    assert SegmentCustomerAssignment.objects.filter(tenant=TENANT).count() == (
        tiny.customer_assignments
    )


def test_customers_have_profiles_the_api_accepts_and_q_finds(generated):
    customers = Customer.objects.filter(tenant=TENANT).prefetch_related("legal_entities")
    for customer in customers:
        document = customer_document(customer)
        values = customer_values(document)
        assert values["addresses"] == document["addresses"]
        assert values["preferred_language"] == customer.preferred_language

    def count(q: str) -> int:
        return customers.filter(compile_query(q, CUSTOMER_QUERY_FIELDS)).count()

    total = customers.count()
    assert 0 < count("addresses.country:DE") < total
    assert 0 < count("addresses.isDefault:true") < total
    assert 0 < count("preferredLanguage:(de,de_DE)") < total
    assert 0 < count("active:false") < count("active:true")
    # B2B customers (those with legal entities) have a company and a registration id.
    b2b = customers.filter(legal_entities__isnull=False).distinct()
    assert b2b and all(customer.company_registration_id for customer in b2b)
    assert count("b2b.companyRegistrationId:~.") == count("preferredSite:b2b") == len(b2b)


def test_a_tenth_of_the_segments_carry_valid_rules(generated):
    segments = Segment.objects.filter(tenant=TENANT)
    rules = dict(segments.filter(criteria__isnull=False).values_list("public_id", "criteria"))
    assert len(rules) == round(XS.segments * RULE_SEGMENT_SHARE)
    # The others are manual-only: SQL NULL, not a JSON null.
    assert segments.filter(criteria__isnull=True).count() == XS.segments - len(rules)
    for criteria in rules.values():
        assert clean_criteria(criteria) == criteria
    # AUTOMATIC members only where a rule could have made them.
    automatic = SegmentCustomerAssignment.objects.filter(tenant=TENANT, assignment_type="AUTOMATIC")
    assert automatic.exists()
    assert set(automatic.values_list("segment__public_id", flat=True)) <= set(rules)


def test_customers_and_legal_entities_carry_the_facts_rules_use(generated):
    customers = Customer.objects.filter(tenant=TENANT)
    mixins = list(customers.values_list("mixins", flat=True))
    orders = [m["orders"] for m in mixins if "orders" in m]
    assert len(mixins) / 2 < len(orders) < len(mixins)
    for order in orders:
        assert isinstance(order["totalSpent"], float) and order["count"] >= 1
        # The service's UTC format, so that text comparison is chronological.
        assert parse_datetime(order["lastOrderAt"]) is not None
        assert order["lastOrderAt"] == format_datetime(parse_datetime(order["lastOrderAt"]))
        assert order["firstOrderAt"] <= order["lastOrderAt"]
    assert any("loyalty" in m for m in mixins) and any("newsletter" in m for m in mixins)
    entities = LegalEntity.objects.filter(tenant=TENANT).values_list("mixins", flat=True)
    assert all({"industry", "employees", "creditLimit"} <= set(m) for m in entities)


def test_every_rule_template_selects_a_realistic_fraction(db):
    """At a thousand customers every drawn rule selects someone and nobody's rule selects
    everyone; the relative dates count back from the day of generation."""
    call_command(
        "generate_dataset", "--tenant", TENANT, "--scale", "rules", "--factor", "0.01",
        stdout=StringIO(),
    )  # fmt: skip
    scale = scale_for("rules", 0.01)
    total = Customer.objects.filter(tenant=TENANT).count()
    generated = Segment.objects.filter(tenant=TENANT, criteria__isnull=False)
    assert generated.count() == round(scale.segments * RULE_SEGMENT_SHARE)
    rng = random.Random(3)
    drawn = [template(rng) for template, _ in TEMPLATES for _ in range(5)]
    for criteria in [*generated.values_list("criteria", flat=True), *drawn]:
        assert clean_criteria(criteria) == criteria
        count = criteria_preview(tenant=TENANT, criteria=criteria).count
        assert 0 < count < total / 2, (criteria, count)
    assert any("lastOrderAt" in criteria.get("q", "") for criteria in drawn)
    assert any("legalEntities" in criteria for criteria in drawn)
    recent = criteria_preview(tenant=TENANT, criteria={"q": 'mixins.orders.lastOrderAt:>="-30d"'})
    assert total / 20 < recent.count < total / 2
