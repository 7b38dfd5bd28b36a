"""Running real `manage.py db_worker` processes against the test database (PostgreSQL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

REPO = Path(__file__).resolve().parents[2]

WORKER_COMMAND = [
    *(sys.executable, "manage.py", "db_worker", "--batch", "--no-reload"),
    *("--no-startup-delay", "--interval", "0"),
]


def worker_environment(**extra: str) -> dict[str, str]:
    """The environment of a worker process that uses the test database."""
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{quote(database['USER'] or '')}:{quote(database['PASSWORD'] or '')}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "segments_project.settings.test",
        "DATABASE_URL": url,
        **extra,
    }
