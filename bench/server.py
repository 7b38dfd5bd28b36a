"""The production server stack under test: gunicorn with the project's config, DEBUG off,
Redis cache, persistent database connections."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

from bench.common import REPO, VENV_BIN, Target, django_env, log

GUNICORN_CONFIG = REPO / "segments_project" / "gunicorn.conf.py"


class Server:
    def __init__(
        self,
        target: Target,
        *,
        workers: int,
        log_path: Path,
        threads: int = 1,
        env: dict[str, str] | None = None,
    ):
        self.target = target
        self.env = env or {}
        self.workers = workers
        self.threads = threads
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        gunicorn = str(VENV_BIN / "gunicorn")
        bind = f"127.0.0.1:{self.target.port}"
        if GUNICORN_CONFIG.exists():
            return [gunicorn, "-c", str(GUNICORN_CONFIG), "--bind", bind]
        return [gunicorn, "segments_project.wsgi:application", "--bind", bind]

    def start(self, timeout: float = 60.0) -> None:
        env = django_env(
            self.target,
            WEB_CONCURRENCY=str(self.workers),
            GUNICORN_THREADS=str(self.threads),
            **self.env,
        )
        command = [*self.command, "--workers", str(self.workers), "--threads", str(self.threads)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        log(f"  server: {' '.join(command[1:])} (log {self.log_path})")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            if self._answers():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError("gunicorn did not answer in time")

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.target.port, timeout=2)
        try:
            conn.request("GET", f"/customer-segment/{self.target.tenant}/me/segments")
            return conn.getresponse().status in (200, 401, 403)
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        self.process = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
