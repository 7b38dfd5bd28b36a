"""The ready-made permission groups of the admin console: Merchandiser, Catalog manager and
Read-only, so that onboarding a staff user is one group and one tenant grant
(`TenantMembership`), not 48 permissions picked one by one.

The groups are managed: `admin_groups_sync` gives each exactly the permissions below, read
from the permissions that exist now. It runs after every `migrate` (a `post_migrate`
handler, connected by the project's app config, which is installed last: every app's
permissions exist by then, those of models added by later migrations included) and on
demand (`manage.py sync_admin_groups`). Edits made to these groups in the admin are reset
then; make a group of your own for another set.

A group grants model permissions only: which tenants a user works in is their
`TenantMembership`, whatever their groups.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q

VIEW = ("view",)
EDIT = ("view", "add", "change", "delete")
EVERY_MODEL = "*"

# Group name -> {app label -> {model name (or EVERY_MODEL) -> actions}}.
ADMIN_GROUPS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "Merchandiser": {
        # Members, items, exclusions and imports are pages of a segment: changing a segment
        # is what they need.
        "segments": {
            "segment": EDIT,
            "segmentcustomerassignment": EDIT,
            "segmentitemassignment": EDIT,
            "segmentexclusion": EDIT,
            "segmentevaluation": VIEW,
            "customer": VIEW,
            "legalentity": VIEW,
        },
        "coupons": {"coupon": EDIT, "redemption": VIEW, "referralsettings": VIEW},
        "catalog": {EVERY_MODEL: VIEW},
        "audit": {"auditevent": VIEW},
    },
    "Catalog manager": {
        "catalog": {EVERY_MODEL: EDIT},
        "segments": {"segment": VIEW},
        "audit": {"auditevent": VIEW},
    },
    "Read-only": {
        app_label: {EVERY_MODEL: VIEW}
        for app_label in ("catalog", "segments", "coupons", "webhooks", "audit")
    },
}


def _wanted(grants: dict[str, dict[str, tuple[str, ...]]]) -> Q:
    wanted = Q(pk__in=[])
    for app_label, models in grants.items():
        for model, actions in models.items():
            for action in actions:
                codename = (
                    Q(codename__startswith=f"{action}_")
                    if model == EVERY_MODEL
                    else Q(codename=f"{action}_{model}")
                )
                wanted |= Q(content_type__app_label=app_label) & codename
    return wanted


def admin_groups_sync(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Creates the ready-made groups or sets their permissions to the definition; the number
    of permissions of each. Idempotent."""
    counts = {}
    with transaction.atomic(using=using):
        for name, grants in ADMIN_GROUPS.items():
            group, _ = Group.objects.using(using).get_or_create(name=name)
            permissions = list(Permission.objects.using(using).filter(_wanted(grants)))
            group.permissions.set(permissions)
            counts[name] = len(permissions)
    return counts


def sync_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """The `post_migrate` handler (the project's app config connects it)."""
    admin_groups_sync(using=using)
