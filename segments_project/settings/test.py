"""Test settings: the base settings with speed changes only."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: F403

# MD5 stands in for PBKDF2 as the default (speed); PBKDF2 stays registered, so hashes
# stored by earlier releases are tested as they are.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "segments_project.tenancy.hashers.GeneratedSecretSHA256Hasher",
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One process: its cache stands in for the shared Redis of production (the version in the
# cache); tests/segments/test_storefront_cache.py covers the unshared case too.
CACHE_SHARED_BY_PROCESSES = True
SECURE_SSL_REDIRECT = False
# Revocation at once, as most tests expect; tests/tenancy/test_token_cache.py turns the
# memory of verified tokens on.
ACCESS_TOKEN_CACHE_SECONDS = 0

# A second alias standing in for the read replica: the same test database, reached through
# its own connection, so routing can be observed (tests/test_replica_router.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
# Off by default: the replica's own connection cannot see a test's uncommitted rows.
STOREFRONT_READS_FROM_REPLICA = False
# No collected static files in tests (WhiteNoise would warn about the missing folder).
STATIC_ROOT = None
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Processes a test starts (a real db_worker) may be paused at a checkpoint named in their
# environment (segments_project/checkpoints.py, `pause_from_environment`).
CHECKPOINT_PAUSE_FROM_ENVIRONMENT = True
