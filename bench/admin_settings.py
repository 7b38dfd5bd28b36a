"""The admin page benchmark's settings (`bench/admin_pages.py`): the benchmark's, with a
login that writes nothing to the database.

The benchmark also measures a database it must only read (scale L, shared). Django's login
would write a session row and the user's `last_login`, and needs a user row to exist; here
sessions are signed cookies and the one user is `bench.admin_auth`'s in-memory superuser,
whose password is `BENCH_ADMIN_PASSWORD`. Plain HTTP on 127.0.0.1, so cookies are not
marked secure.
"""

from bench.settings import *  # noqa: F403

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
AUTHENTICATION_BACKENDS = ["bench.admin_auth.ReadOnlyAdminBackend"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
