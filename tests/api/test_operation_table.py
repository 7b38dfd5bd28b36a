"""README's operation table: it lists every operation of the Emporix specs the service
implements, and every operation it lists is one the service has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.urls import Resolver404, resolve

from segments_project.api.fallback import unknown_api_path

from ..schema_conformance import openapi_schema

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_REFERENCE = "shared/reference/emporix"
SPECS_DIR = next(
    (path for path in (ROOT.parent / _REFERENCE, Path("/work") / _REFERENCE) if path.is_dir()),
    ROOT.parent / _REFERENCE,
)
# Every operation of these specs must be listed.
COMPLETE_SPECS = ("customer-segment.api.yml", "coupon.api.yml", "category-tree.api.yml")
PRODUCT_SEARCH = ("POST", "/product/{}/products/search")
METHODS = ("get", "put", "post", "patch", "delete")
_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([A-Z]+)\s*\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*$")
_PARAMETER = re.compile(r"\{[^}/]*\}")


def shape(path: str) -> str:
    """The path with its parameter names erased, as specs and the service name them apart."""
    return _PARAMETER.sub("{}", path)


def readme_operations() -> dict[tuple[str, str], str]:
    """(method, path shape) -> status of each row of README's table under `## Operations`."""
    text = README.read_text()
    section = text.split("\n## Operations\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match and match.group(2) != "Method":
            rows[(match.group(2), shape(match.group(3)))] = match.group(4)
    return rows


def spec_operations(name: str) -> set[tuple[str, str]]:
    document = yaml.safe_load((SPECS_DIR / name).read_text())
    return {
        (method.upper(), shape(path))
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def schema_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), shape(path))
        for path, item in openapi_schema()["paths"].items()
        for method in item
        if method in METHODS
    }


def test_the_table_is_found_and_parsed():
    rows = readme_operations()
    assert ("GET", "/customer-segment/{}/segments") in rows
    assert len(rows) > 70


@pytest.mark.parametrize("spec", COMPLETE_SPECS)
def test_every_operation_of_the_spec_is_listed_as_implemented(spec):
    rows = readme_operations()
    missing = sorted(spec_operations(spec) - set(rows))
    assert not missing, f"README's operation table misses {spec} operations: {missing}"
    not_done = sorted(op for op in spec_operations(spec) if "implemented" not in rows[op])
    assert not not_done, f"listed but not implemented: {not_done}"


def test_the_product_search_is_listed():
    assert "implemented" in readme_operations()[PRODUCT_SEARCH]


def test_every_product_operation_the_service_has_is_listed():
    ours = {op for op in schema_operations() if op[1].startswith("/product/")}
    assert not ours - set(readme_operations())


@pytest.mark.django_db
def test_every_listed_operation_is_one_the_service_has():
    """The schema documents each listed API operation; a path the schema has no operation
    at (the anonymous token endpoints, like /oauth/token) must resolve to a view.

    Passes once the branches of issue 16 that add the product and category-tree searches,
    the tree rebuild, the deprecated categoryTree, referral coupons and anonymous tokens are
    merged.
    """
    documented = schema_operations()
    documented_paths = {path for _, path in documented}
    missing = []
    for method, path in readme_operations():
        if path in documented_paths or path.split("/")[1] in _API_PREFIXES:
            if (method, path) not in documented:
                missing.append((method, path))
        elif not _resolves(path.replace("{}", "acme")):
            missing.append((method, path))
    assert not missing, f"README lists operations the service does not have: {missing}"


_API_PREFIXES = {"customer-segment", "coupon", "category", "product", "customer", "webhook"}


def _resolves(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not unknown_api_path
