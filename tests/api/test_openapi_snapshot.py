"""The OpenAPI document does not change by accident.

`openapi-snapshot.json` is the schema drf-spectacular generates with the test settings,
written with sorted keys. Any difference (a path, an operation id, a component name, a
description) fails this test. After a deliberate API change, regenerate the snapshot and
commit it with the change, so the diff shows what the API lost or gained:

    UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/pytest tests/api/test_openapi_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from tests.schema_conformance import openapi_schema

SNAPSHOT = Path(__file__).with_name("openapi-snapshot.json")
REGENERATE = "UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/pytest tests/api/test_openapi_snapshot.py"
SHOWN_DIFF_LINES = 80


def rendered(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_the_openapi_document_matches_the_committed_snapshot():
    # A fresh schema, not the per-process cache other tests read (and might have altered).
    current = rendered(openapi_schema.__wrapped__())
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")

    committed = SNAPSHOT.read_text(encoding="utf-8")

    if current != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), current.splitlines(), "snapshot", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:SHOWN_DIFF_LINES])
        raise AssertionError(
            f"The OpenAPI document differs from {SNAPSHOT.name}.\n{shown}\n"
            f"If the change is deliberate, regenerate the snapshot and commit it:\n    {REGENERATE}"
        )
