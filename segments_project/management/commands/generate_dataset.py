"""`manage.py generate_dataset --tenant bench --scale S|M|L [--seed N] [--replace]`.

Makes a realistic, seeded benchmark tenant with set-based inserts (see
`segments_project.benchdata`) and an API client `<tenant>-client` holding every scope.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from segments_project.benchdata.generator import TenantHasData, generate
from segments_project.benchdata.scales import FACTORS, PUBLIC_SCALES, scale_for
from segments_project.errors import ApplicationError


class Command(BaseCommand):
    help = "Generate a realistic, deterministic benchmark tenant (S, M or L)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="Tenant to fill (created if absent).")
        parser.add_argument(
            "--scale",
            required=True,
            type=str.upper,
            help=f"{', '.join(PUBLIC_SCALES)}: M has 100,000 customers; S a tenth, L ten times.",
        )
        # Hidden: any factor of M, for tests (XS is a hundredth of S).
        parser.add_argument("--factor", type=float, help=argparse.SUPPRESS)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data (1).")
        parser.add_argument(
            "--replace", action="store_true", help="Delete the tenant's data first."
        )
        parser.add_argument("--client-id", help="API client to create (<tenant>-client).")
        parser.add_argument("--client-secret", help="Its secret (generated and printed).")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["scale"]
        if name not in FACTORS and options["factor"] is None:
            raise CommandError(f"--scale must be one of {', '.join(PUBLIC_SCALES)}.")
        try:
            scale = scale_for(name, options["factor"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        secret = options["client_secret"]
        if secret is not None and len(secret) < 16:
            raise CommandError("A client secret has at least 16 characters.")
        self.stdout.write(
            f"Generating tenant {options['tenant']!r} at scale {scale.name} "
            f"(seed {options['seed']}): {scale.customers:,} customers, "
            f"{scale.customer_assignments:,} customer assignments"
        )
        started = time.perf_counter()
        try:
            summary = generate(
                tenant=options["tenant"],
                scale=scale,
                seed=options["seed"],
                replace=options["replace"],
                client_id=options["client_id"],
                client_secret=secret,
                out=self.stdout.write,
            )
        except TenantHasData as exc:
            raise CommandError(str(exc)) from exc
        except ApplicationError as exc:  # an invalid tenant name
            raise CommandError(exc.message) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {summary.total_rows:,} rows in {elapsed:.1f} s "
                f"({summary.total_rows / elapsed:,.0f} rows/s)"
            )
        )
        self.stdout.write(f"API client: {summary.client_id}")
        if secret is None:
            self.stdout.write(f"Client secret: {summary.client_secret}")
