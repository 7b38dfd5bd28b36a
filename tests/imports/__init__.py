"""Helpers of the import and export command tests: run the commands, write files, take
snapshots of a tenant's tables."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Category, CategoryAssignment, Product
from segments.models import (
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)
from segments_project.tenancy.models import Tenant

TENANT = "acme"
OTHER_TENANT = "globex"

TABLES = (
    Category,
    Product,
    CategoryAssignment,
    LegalEntity,
    Customer,
    CustomerLegalEntity,
    Segment,
    SegmentItemAssignment,
    SegmentCustomerAssignment,
)


@dataclass
class Run:
    """What an import printed, and the error it ended with (None when it succeeded)."""

    out: str
    err: str
    error: CommandError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_import(
    kind: str, path: Path | str, *, tenant: str = TENANT, stdin: Any = None, **options: Any
) -> Run:
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("progress", "none")
    if stdin is not None:
        options["stdin"] = stdin
    try:
        call_command(
            "import_data",
            str(path),
            tenant=tenant,
            kind=kind,
            stdout=out,
            stderr=err,
            **options,
        )
    except CommandError as exc:
        return Run(out.getvalue(), err.getvalue(), exc)
    return Run(out.getvalue(), err.getvalue(), None)


def run_export(kind: str, path: Path | str, *, tenant: str = TENANT, **options: Any) -> str:
    """Exports; returns what went to stdout (the file's content for `-`)."""
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("progress", "none")
    call_command(
        "export_data", str(path), tenant=tenant, kind=kind, stdout=out, stderr=err, **options
    )
    return out.getvalue()


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, documents: list[Any]) -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as file:
        for document in documents:
            file.write((document if isinstance(document, str) else json.dumps(document)) + "\n")
    return path


def make_tenants(*names: str) -> None:
    for name in names or (TENANT,):
        Tenant.objects.get_or_create(name=name)


def snapshot(tenant: str = TENANT) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tenant in the tables imports write, versions and times included."""
    return {
        model.__name__: list(model.objects.filter(tenant_id=tenant).order_by("pk").values())
        for model in TABLES
    }


def without_keys(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in names} for row in rows]
