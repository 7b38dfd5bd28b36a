"""Running `load_demo` in a test and reading what it printed."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command


def load_demo(credentials_file: Path, **options) -> str:
    out = StringIO()
    call_command("load_demo", credentials_file=str(credentials_file), stdout=out, **options)
    return out.getvalue()


def printed(output: str, label: str) -> str:
    """The first word after `label:` at the start of a line of the output."""
    match = re.search(rf"^{label}:\s+(\S+)", output, re.MULTILINE)
    assert match, f"{label!r} not printed in:\n{output}"
    return match.group(1)
