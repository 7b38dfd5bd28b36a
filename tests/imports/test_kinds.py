"""The import and export kinds: each app registers the kinds of its data into the
engine's registries (`segments_project.imports.kinds`), an unknown kind fails clearly, and
`manage.py check` stops when an app left its kinds out."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from segments_project.imports.kinds import EXPORTERS, IMPORTERS
from segments_project.registry import check_registries

CATALOG_KINDS = ["categories", "product-categories", "products"]
SEGMENTS_KINDS = [
    "customers",
    "legal-entities",
    "segment-customers",
    "segment-items",
    "segments",
]


def _owner(kind: str) -> str:
    return IMPORTERS.get(kind).__module__.split(".")[0]


def test_every_kind_is_registered_by_the_app_that_owns_its_data():
    assert set(IMPORTERS.owners) == set(EXPORTERS.owners) == {"catalog", "segments"}
    assert IMPORTERS.names() == sorted(CATALOG_KINDS + SEGMENTS_KINDS)
    assert EXPORTERS.names() == IMPORTERS.names()
    assert [kind for kind in IMPORTERS.names() if _owner(kind) == "catalog"] == CATALOG_KINDS
    assert [kind for kind in IMPORTERS.names() if _owner(kind) == "segments"] == SEGMENTS_KINDS


def test_a_kind_is_registered_under_its_own_name():
    for kind in IMPORTERS.names():
        assert IMPORTERS.get(kind).kind == kind
        assert EXPORTERS.get(kind).kind == kind
        # An export reads back: its columns are those of the kind's import.
        assert EXPORTERS.get(kind).layout is IMPORTERS.get(kind).layout


def test_an_unknown_kind_names_the_known_ones():
    with pytest.raises(KeyError, match=r"imports\.importers has no entry named 'coupons'") as exc:
        IMPORTERS.get("coupons")

    assert "categories, customers, legal-entities" in str(exc.value)


@pytest.mark.parametrize("command", ["import_data", "export_data"])
def test_the_commands_refuse_an_unknown_kind(command):
    with pytest.raises(CommandError, match=r"--kind: invalid choice: 'coupons'"):
        call_command(command, "rows.csv", tenant="acme", kind="coupons")


@pytest.mark.parametrize("registry", [IMPORTERS, EXPORTERS], ids=lambda r: r.name)
def test_the_check_stops_when_an_app_left_out_its_kinds(monkeypatch, registry):
    monkeypatch.setattr(registry, "owners", ["segments"])

    errors = [error for error in check_registries() if error.obj == registry.name]

    assert [error.id for error in errors] == ["registry.E001"]
    assert "although the app catalog is installed" in errors[0].msg
    with pytest.raises(SystemCheckError, match=rf"{registry.name} has no provider"):
        call_command("check")
