"""The benchmark server's settings: production's, plus the bare reference views of
`bench/urls.py` (never in the production URL configuration)."""

from segments_project.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
