"""The service as production runs it: gunicorn with `segments_project/gunicorn.conf.py`,
DEBUG off, in a process group of its own so that one signal reaches the master and every
worker."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from .http_api import ApiClient, ServerUnreachable

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = REPO / "segments_project" / "gunicorn.conf.py"


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of `manage.py` and gunicorn: production settings on `database_url`."""
    # No shared cache and no replica: each process stands alone on the one database.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("REDIS_URL", "DATABASE_REPLICA_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="segments_project.settings.base",
        DATABASE_URL=database_url,
        SECRET_KEY="faults-" + secrets.token_urlsafe(32),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        API_RATE_LIMIT="1000000/min",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def manage(database_url: str, *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=production_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed: {completed.stdout}{completed.stderr}")


class GunicornServer:
    def __init__(
        self, *, database_url: str, port: int, log_path: Path, conn_max_age: int = 0
    ) -> None:
        self.port = port
        self.log_path = log_path
        self.env = production_env(
            database_url,
            BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            CONN_MAX_AGE=str(conn_max_age),
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Starts gunicorn and returns once it answers HTTP."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", str(CONFIG)],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        probe = ApiClient(self.port, timeout=2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}")
            try:
                probe.request("GET", "/customer-segment/probe/segments")
                return
            except ServerUnreachable:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s: see {self.log_path}")

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: no handler runs, nothing is
        flushed, open transactions are cut off."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A graceful stop (SIGTERM), a kill if it does not end in time."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self.process = None
