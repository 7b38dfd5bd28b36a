"""The ready-made permission groups (issue 20, item 10): created by `migrate`, kept to their
definition by `manage.py sync_admin_groups`, new permissions included; a staff user given
one group and one tenant works in the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from segments_project.tenancy.models import Tenant, TenantMembership

from .conftest import TENANT

pytestmark = pytest.mark.django_db

GROUPS = ("Merchandiser", "Catalog manager", "Read-only")


def _codenames(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_migrate_created_the_groups():
    merchandiser = _codenames("Merchandiser")
    catalog = _codenames("Catalog manager")
    read_only = _codenames("Read-only")

    assert {("segments", "change_segment"), ("segments", "add_segmentcustomerassignment"),
            ("coupons", "add_coupon"), ("catalog", "view_product")} <= merchandiser  # fmt: skip
    assert ("catalog", "add_product") not in merchandiser
    assert ("auth", "change_user") not in merchandiser
    assert {("catalog", "change_category"), ("catalog", "delete_product")} <= catalog
    assert ("segments", "change_segment") not in catalog
    assert {codename.split("_")[0] for _, codename in read_only} == {"view"}
    assert {("webhooks", "view_subscription"), ("coupons", "view_coupon")} <= read_only


def test_syncing_is_idempotent_and_resets_edits():
    group = Group.objects.get(name="Merchandiser")
    before = _codenames("Merchandiser")
    group.permissions.add(Permission.objects.get(codename="change_user"))
    group.permissions.remove(Permission.objects.get(codename="change_segment"))

    out = StringIO()
    call_command("sync_admin_groups", stdout=out)
    call_command("sync_admin_groups", stdout=StringIO())

    assert _codenames("Merchandiser") == before
    assert Group.objects.filter(name__in=GROUPS).count() == 3
    assert f"Merchandiser: {len(before)} permissions" in out.getvalue()


def test_a_permission_added_by_a_later_migration_joins_the_groups():
    later = ContentType.objects.create(app_label="catalog", model="pricelist")
    for action in ("view", "change"):
        Permission.objects.create(content_type=later, codename=f"{action}_pricelist", name="x")

    call_command("migrate", verbosity=0)  # nothing to migrate: the post_migrate sync runs

    assert ("catalog", "view_pricelist") in _codenames("Read-only")
    assert ("catalog", "change_pricelist") in _codenames("Catalog manager")
    assert ("catalog", "change_pricelist") not in _codenames("Read-only")


def _staff_in(group: str, login) -> object:
    user = User.objects.create_user(group.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    tenant, _ = Tenant.objects.get_or_create(name=TENANT)
    TenantMembership.objects.create(user=user, tenant=tenant)
    return login(user)


def test_one_group_and_one_tenant_are_enough_to_work(login, shop):
    merchandiser = _staff_in("Merchandiser", login)
    reader = _staff_in("Read-only", login)
    gold = shop["gold"]

    assert (
        merchandiser.get(reverse("admin:segments_segment_members", args=[gold.pk])).status_code
        == 200
    )
    assert merchandiser.get(reverse("admin:coupons_coupon_add")).status_code == 200
    assert merchandiser.get(reverse("admin:catalog_product_add")).status_code == 403
    assert reader.get(reverse("admin:segments_segment_change", args=[gold.pk])).status_code == 200
    assert reader.get(reverse("admin:coupons_coupon_add")).status_code == 403
