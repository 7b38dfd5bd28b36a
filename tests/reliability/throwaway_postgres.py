"""A PostgreSQL cluster of the test's own: created in a fresh temporary directory on a free
port, stopped and started at will, deleted at the end. The machine's shared PostgreSQL is
never touched, and two test runs at once get two clusters.

As root the server tools run as the `postgres` user (PostgreSQL refuses to run as root);
as anyone else they run as that user.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

SUPERUSER = "postgres"
# Where Debian's server packages put initdb and pg_ctl, one folder per major version.
_DEBIAN_PACKAGES = Path("/usr/lib/postgresql")

# What the server logs when a client's connection ends in the middle of a transaction.
_CLIENT_VANISHED_IN_TRANSACTION = "unexpected EOF on client connection with an open transaction"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_bindir() -> Path:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    installed = [path.parent for path in _DEBIAN_PACKAGES.glob("*/bin/initdb")]
    candidates = sorted(installed, key=version, reverse=True)
    if candidates:
        return candidates[0]
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("No PostgreSQL server binaries (initdb) found: install the server.")
    return Path(initdb).parent


class ThrowawayCluster:
    def __init__(self) -> None:
        self.bindir = _server_bindir()
        # Not under pytest's tmp_path: its folders are private to the test user, and the
        # server (as `postgres`) must reach its data directory and socket.
        self.directory = Path(tempfile.mkdtemp(prefix="segments-faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = 0
        self.running = False
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.directory, user=SUPERUSER)
        try:
            self._tool(
                "initdb",
                *("-D", str(self.data), "-U", SUPERUSER, "--auth=trust"),
                *("--no-locale", "-E", "UTF8", "--no-sync"),
            )
        except RuntimeError:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def _tool(self, name: str, *args: str) -> None:
        command = [str(self.bindir / name), *args]
        if self.as_postgres:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if completed.returncode != 0:
            raise RuntimeError(f"{name} failed: {completed.stdout}{completed.stderr}")

    def start(self) -> None:
        """Starts the server and waits until it accepts connections; the first start picks
        the port, later starts reuse it (a client reconnects to the same address)."""
        attempts = 1 if self.port else 3
        for attempt in range(attempts):
            port = self.port or free_port()
            try:
                self._tool(
                    "pg_ctl",
                    *("-D", str(self.data), "-l", str(self.log)),
                    *("-w", "-t", "60", "start", "-o", self._server_options(port)),
                )
            except RuntimeError:
                # Another process took the port between the choice and the start.
                if attempt == attempts - 1:
                    raise
                continue
            self.port = port
            self.running = True
            return

    def _server_options(self, port: int) -> str:
        # fsync off: durability against a machine crash is not under test, and the disk is
        # shared with the rest of the suite.
        return (
            f"-p {port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=50 -c shared_buffers=32MB"
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects every client, rolls back their transactions and shuts down
        cleanly (what a restart for maintenance does)."""
        self._tool("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def transactions_cut_off(self) -> int:
        """How many sessions ended with a transaction open because their client vanished."""
        return self.log.read_text().count(_CLIENT_VANISHED_IN_TRANSACTION)

    def url(self, database: str) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
