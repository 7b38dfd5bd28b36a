"""The base of management commands that act in one tenant (zulip's `ZulipBaseCommand`).

`--tenant` is added and resolved in one place: it is required, and a tenant that does not
exist is a `CommandError` naming it (commands never create tenants by accident). The
schedulers' `--every SECONDS` loop is here too (`RepeatingTenantsCommand`).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from segments_project.audit.actor import ActorKind, acting_as
from segments_project.tenancy.models import Tenant


class TenantCommand(BaseCommand):
    """A command of one tenant: implement `handle_tenant(tenant, **options)`.

    Subclasses that add arguments call `super().add_arguments(parser)` first.
    """

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--tenant", required=True, help="Name of the tenant to act in; it must exist."
        )

    def get_tenant(self, name: str) -> Tenant:
        tenant = Tenant.objects.filter(name=name).first()
        if tenant is None:
            raise CommandError(
                f"The tenant {name!r} does not exist; create it first (for example with "
                "`manage.py create_api_client`)."
            )
        return tenant

    def handle(self, *args: Any, **options: Any) -> str | None:
        tenant = self.get_tenant(options.pop("tenant"))
        with acting_as(ActorKind.COMMAND, self.command_name):
            return self.handle_tenant(tenant, *args, **options)

    @property
    def command_name(self) -> str:
        """The name the command is run by (`import_data`), as the audit trail shows it."""
        return type(self).__module__.rsplit(".", 1)[-1]

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> str | None:
        raise NotImplementedError


class TenantsCommand(TenantCommand):
    """A command of one tenant (`--tenant`) or, without it, of every tenant in name order:
    implement `handle_tenants(tenants, **options)`."""

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--tenant", help="Name of the tenant to act in (it must exist); default: every tenant."
        )

    def handle(self, *args: Any, **options: Any) -> str | None:
        self.tenant_name = options.pop("tenant")
        with acting_as(ActorKind.COMMAND, self.command_name):
            return self.handle_tenants(self.get_tenants(), *args, **options)

    def get_tenants(self) -> list[Tenant]:
        """The named tenant, or every tenant as it is now (a long-running command calls it
        again to follow tenants created since it started)."""
        if self.tenant_name:
            return [self.get_tenant(self.tenant_name)]
        return list(Tenant.objects.order_by("name"))

    def handle_tenants(self, tenants: list[Tenant], *args: Any, **options: Any) -> str | None:
        raise NotImplementedError


class RepeatingTenantsCommand(TenantsCommand):
    """A `TenantsCommand` that with `--every SECONDS` repeats until stopped (a scheduler
    process): implement `handle_pass(tenants, **options)`, one pass over the tenants.
    Between passes it calls `wait(seconds, **options)` (a sleep; override to work
    meanwhile) and reads the tenants again, to follow tenants created since it started."""

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Repeat every SECONDS seconds until stopped (the scheduler process).",
        )

    def handle_tenants(self, tenants: list[Tenant], *args: Any, **options: Any) -> None:
        every = options["every"]
        if every is not None and every < 1:
            raise CommandError("--every takes a number of seconds of at least 1.")
        while True:
            self.handle_pass(tenants, **options)
            if every is None:
                return
            self.wait(every, **options)
            tenants = self.get_tenants()

    def handle_pass(self, tenants: list[Tenant], **options: Any) -> None:
        raise NotImplementedError

    def wait(self, seconds: float, **options: Any) -> None:
        time.sleep(seconds)
