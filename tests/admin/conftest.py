"""Fixtures of the admin console tests: users with roles and tenant grants, logged-in
clients, and a small catalog with segments to look at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from segments_project.tenancy.models import Tenant, TenantMembership
from tests.catalog.factories import make_assignment, make_category, make_product
from tests.segments.factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

TENANT = "acme"
OTHER_TENANT = "globex"

# The models a merchandiser works with, as app_label.model_name.
MERCHANDISING_MODELS = (
    "segments.segment",
    "segments.customer",
    "segments.legalentity",
    "catalog.product",
    "catalog.category",
    "coupons.coupon",
)


def _permissions(actions: tuple[str, ...]) -> list[Permission]:
    wanted = []
    for label in MERCHANDISING_MODELS:
        app_label, model = label.split(".")
        wanted += [(app_label, f"{action}_{model}") for action in actions]
    permissions = []
    for app_label, codename in wanted:
        permissions += list(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return permissions


@pytest.fixture
def make_staff(db) -> Callable[..., User]:
    """A staff user granted the tenants, with every merchandising permission or (`read_only`)
    the view permissions only."""

    def make(username: str, *, tenants: tuple[str, ...] = (TENANT,), read_only: bool = False):
        user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
        actions = ("view",) if read_only else ("view", "add", "change", "delete")
        user.user_permissions.set(_permissions(actions))
        for name in tenants:
            tenant, _ = Tenant.objects.get_or_create(name=name)
            TenantMembership.objects.create(user=user, tenant=tenant)
        return user

    return make


@pytest.fixture
def login(db) -> Callable[[User], Client]:
    def log_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def merchandiser(make_staff, login) -> Client:
    """A staff user of tenant acme with every merchandising permission."""
    return login(make_staff("merch"))


@pytest.fixture
def viewer(make_staff, login) -> Client:
    """A read-only merchandiser of tenant acme: view permissions only."""
    return login(make_staff("viewer", read_only=True))


@pytest.fixture
def superuser_client(db, login) -> Client:
    return login(User.objects.create_superuser("root", "root@example.com", "pw"))


@pytest.fixture
def shop(db) -> dict[str, Any]:
    """Tenant acme: a category tree, products placed in it, customers (one B2B), and two
    segments with items and members; tenant globex has a segment of its own."""
    for name in (TENANT, OTHER_TENANT):
        Tenant.objects.get_or_create(name=name)
    clothing = make_category(TENANT, "clothing", name="Clothing", position=1)
    shoes = make_category(TENANT, "shoes", name="Shoes", position=0)
    shirts = make_category(TENANT, "shirts", parent=clothing, name="Shirts", position=1)
    coats = make_category(TENANT, "coats", parent=clothing, name="Coats", position=0)
    tee = make_product(TENANT, "tee", name="T-shirt")
    parka = make_product(TENANT, "parka", name="Parka")
    boot = make_product(TENANT, "boot", name="Boot")
    make_assignment(shirts, tee)
    make_assignment(coats, parka)
    make_assignment(shoes, boot)
    company = make_legal_entity(TENANT, "acme-corp", name="Acme Corp")
    alice = make_customer(TENANT, "alice")
    bob = make_customer(TENANT, "bob", legal_entities=(company,))
    gold = make_segment(TENANT, "gold", site="main")
    gold.name = {"en": "Gold customers", "de": "Goldkunden"}
    gold.save()
    silver = make_segment(TENANT, "silver", site="outlet", status="INACTIVE")
    assign_item(gold, clothing)
    assign_item(gold, boot)
    assign_customer(gold, alice)
    assign_customer(gold, bob, company)
    assign_customer(silver, bob)
    foreign = make_segment(OTHER_TENANT, "gold", site="main")
    return {
        "categories": {"clothing": clothing, "shoes": shoes, "shirts": shirts, "coats": coats},
        "products": {"tee": tee, "parka": parka, "boot": boot},
        "company": company,
        "alice": alice,
        "bob": bob,
        "gold": gold,
        "silver": silver,
        "foreign": foreign,
    }
