"""The benchmark tenant, end to end: checks, optional replace, every kind of data, a client.

Each kind is written in chunks of its own transactions (bounded memory and bounded
deferred foreign-key checks on PostgreSQL), so a run that is interrupted leaves part of
the data: run again with `replace`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from oauth2_provider.models import get_access_token_model

from catalog.models import Category, CategoryAssignment, Product
from coupons.models import Coupon, Redemption
from segments.models import (
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)
from segments_project.tenancy.models import CustomerTokenBinding
from segments_project.tenancy.scopes import ALL_SCOPES
from segments_project.tenancy.services import (
    api_client_upsert,
    client_secret_generate,
    tenant_get_or_create,
)
from segments_project.tenancy.versions import content_published

from .catalog import generate_catalog
from .context import Context
from .coupons import generate_coupons
from .directory import generate_directory
from .scales import Scale
from .segments import generate_segments
from .tables import analyze, delete_tenant_rows

# Children before parents, so a set-based delete never trips a foreign key.
TENANT_TABLES = (
    Redemption,
    Coupon,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
    CategoryAssignment,
    CustomerLegalEntity,
    CustomerTokenBinding,
    Segment,
    Customer,
    LegalEntity,
    Product,
    Category,
)
# The tables whose rows say "this tenant has data".
DATA_TABLES = (Segment, Customer, LegalEntity, Product, Category, Coupon)


class TenantHasData(Exception):
    pass


@dataclass
class Summary:
    tenant: str
    scale: Scale
    seed: int
    client_id: str
    client_secret: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class Progress:
    """Times each step and prints one line per step."""

    def __init__(self, summary: Summary, out: Callable[[str], None]) -> None:
        self.summary = summary
        self.out = out

    @contextmanager
    def step(self, name: str) -> Iterator[Callable[[int], None]]:
        counted: list[int] = []
        started = time.perf_counter()
        self.out(f"  {name} ...")
        yield counted.append
        seconds = time.perf_counter() - started
        rows = sum(counted)
        self.summary.seconds[name] = seconds
        if counted:
            self.summary.rows[name] = rows
            rate = rows / seconds if seconds else 0.0
            self.out(f"  {name}: {rows:,} rows in {seconds:.1f} s ({rate:,.0f} rows/s)")
        else:
            self.out(f"  {name}: done in {seconds:.1f} s")


def tenant_has_data(tenant: str) -> bool:
    return any(model.objects.filter(tenant_id=tenant).exists() for model in DATA_TABLES)


def delete_tenant_data(tenant: str) -> dict[str, int]:
    """Every data row of the tenant (not the tenant, nor its API clients)."""
    bound = CustomerTokenBinding.objects.filter(tenant_id=tenant).values("access_token_id")
    get_access_token_model().objects.filter(pk__in=bound).delete()
    return delete_tenant_rows(tenant, TENANT_TABLES)


def generate(
    *,
    tenant: str,
    scale: Scale,
    seed: int = 1,
    replace: bool = False,
    client_id: str | None = None,
    client_secret: str | None = None,
    out: Callable[[str], None] = print,
) -> Summary:
    """Creates the tenant's data; TenantHasData if it has some and `replace` is off."""
    summary = Summary(
        tenant=tenant,
        scale=scale,
        seed=seed,
        client_id=client_id or f"{tenant}-client",
        client_secret=client_secret or client_secret_generate(),
    )
    progress = Progress(summary, out)
    tenant_get_or_create(name=tenant)
    if tenant_has_data(tenant):
        if not replace:
            raise TenantHasData(
                f"The tenant {tenant!r} already has data; pass --replace to delete it first."
            )
        with progress.step("delete existing data"):
            delete_tenant_data(tenant)
    ctx = Context(tenant=tenant, seed=seed, scale=scale)
    generate_directory(ctx, progress.step)
    generate_catalog(ctx, progress.step)
    generate_segments(ctx, progress.step)
    generate_coupons(ctx, progress.step)
    with progress.step("api client"):
        api_client_upsert(
            tenant=tenant,
            client_id=summary.client_id,
            client_secret=summary.client_secret,
            scopes=ALL_SCOPES,
        )
    # Whatever was cached for this tenant before is stale now (the services' after-commit
    # bump, done directly: there is no transaction to wait for here).
    content_published(tenant)
    with progress.step("analyze"):
        analyze(TENANT_TABLES)
    return summary
