"""The admin page benchmark's user (`bench/admin_settings.py`): a superuser that exists in
memory only, so that logging in and loading pages write nothing to the measured database."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.models import User
from django.utils.crypto import constant_time_compare

USERNAME = "bench-admin"
# No real user has it (ids are allocated from 1).
USER_ID = 2_000_000_000


def bench_admin() -> User:
    user = User(
        pk=USER_ID,
        username=USERNAME,
        is_active=True,
        is_staff=True,
        is_superuser=True,
        # What the session's hash is made from: the same in every worker.
        password="!bench-admin",
    )
    # `update_last_login` saves the user after a login: not this one.
    user.save = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return user


class ReadOnlyAdminBackend:
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **_: Any
    ) -> User | None:
        secret = os.environ.get("BENCH_ADMIN_PASSWORD", "")
        if secret and username == USERNAME and constant_time_compare(password or "", secret):
            return bench_admin()
        return None

    def get_user(self, user_id: Any) -> User | None:
        return bench_admin() if str(user_id) == str(USER_ID) else None

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        return user.is_active and user.is_superuser

    def has_module_perms(self, user: Any, app_label: str) -> bool:
        return user.is_active and user.is_superuser
