"""The registries through which lower layers learn about higher apps fail closed, and the
start-up check names every one an installed app left empty."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from catalog.hooks import ROWS_DELETING, SEGMENT_CATEGORIES
from segments.hooks import PREVIEW_PANELS
from segments_project import registry
from segments_project.imports.kinds import EXPORTERS, IMPORTERS
from segments_project.registry import Hooks, Registry, Slot, check_registries
from segments_project.tenancy.hooks import CUSTOMER_CHECK


@pytest.fixture
def declared(monkeypatch):
    """Registries made by a test stay out of the project's start-up check."""
    monkeypatch.setattr(registry, "_ALL", [])


def test_an_empty_slot_raises_instead_of_answering(declared):
    slot: Slot[[str], str] = Slot("test.slot", provided_by=("catalog",))

    with pytest.raises(ImproperlyConfigured, match=r"No provider for test\.slot"):
        slot("acme")


def test_a_slot_calls_its_provider(declared):
    slot: Slot[[str], str] = Slot("test.slot", provided_by=("catalog",))
    slot.register(str.upper, owner="catalog")

    assert slot("acme") == "ACME"


def test_the_check_reports_a_registry_an_installed_app_left_empty(declared):
    Slot("test.slot", provided_by=("segments",))
    Hooks("test.hooks", provided_by=("coupons",))
    Registry("test.kinds", provided_by=("catalog", "no_such_app"))

    errors = check_registries()

    assert [(error.id, error.obj) for error in errors] == [
        ("registry.E001", "test.slot"),
        ("registry.E001", "test.hooks"),
        ("registry.E001", "test.kinds"),
    ]
    assert "although the app segments is installed" in errors[0].msg
    # An app that is not installed need not provide.
    assert "no_such_app" not in " ".join(error.msg for error in errors)


def test_manage_py_check_stops_on_a_missing_provider(declared):
    Slot("test.slot", provided_by=("segments",))

    with pytest.raises(SystemCheckError, match=r"registry\.E001.*test\.slot has no provider"):
        call_command("check")


def test_a_provided_registry_passes_the_check(declared):
    slot: Slot[[], int] = Slot("test.slot", provided_by=("segments",))
    slot.register(lambda: 1, owner="segments")

    assert check_registries() == []


def test_a_second_provider_is_refused(declared):
    slot: Slot[[], int] = Slot("test.slot", provided_by=("segments", "coupons"))
    slot.register(lambda: 1, owner="segments")

    with pytest.raises(ImproperlyConfigured, match="already has a provider"):
        slot.register(lambda: 2, owner="coupons")
    assert slot() == 1


def test_a_duplicate_hook_or_entry_name_is_refused(declared):
    hooks: Hooks = Hooks("test.hooks", provided_by=("segments",))
    named: Registry[int] = Registry("test.kinds", provided_by=("segments",))

    def listener() -> None: ...

    hooks.connect(listener, owner="segments")
    named.register(1, owner="segments", name="one")

    with pytest.raises(ImproperlyConfigured, match="already connected"):
        hooks.connect(listener, owner="segments")
    with pytest.raises(ImproperlyConfigured, match="already has an entry named 'one'"):
        named.register(2, owner="segments", name="one")
    assert list(hooks) == [listener]
    assert named.get("one") == 1
    with pytest.raises(KeyError, match=r"test\.kinds has no entry named 'two' \(known: one\)"):
        named.get("two")


def test_an_app_not_named_may_not_provide(declared):
    slot: Slot[[], int] = Slot("test.slot", provided_by=("segments",))

    with pytest.raises(ImproperlyConfigured, match=r"coupons may not register into test\.slot"):
        slot.register(lambda: 1, owner="coupons")


def test_every_registry_of_the_project_is_provided():
    assert CUSTOMER_CHECK.owners == ["segments"]
    assert SEGMENT_CATEGORIES.owners == ["segments"]
    assert ROWS_DELETING.owners == ["segments"]
    assert PREVIEW_PANELS.owners == ["coupons"]
    assert set(IMPORTERS.owners) == set(EXPORTERS.owners) == {"catalog", "segments"}
    assert check_registries() == []


def test_the_system_check_is_clean_in_the_real_configuration():
    out = StringIO()

    call_command("check", stdout=out)

    assert "no issues" in out.getvalue()
