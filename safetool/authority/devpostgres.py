"""A throwaway PostgreSQL server from the system's packages, for tests and benchmarks.

``start_throwaway_postgres()`` runs ``initdb`` in a fresh temporary folder and starts the
server on a free loopback port (no Unix socket outside that folder), with a random password
for the user ``safetool``. PostgreSQL refuses to run as root; as root, the server runs as the
``postgres`` user the Debian package creates (via ``runuser``). Where PostgreSQL is not
installed, or cannot be started, :class:`PostgresUnavailable` says why (tests skip with it).

Debian installs ``initdb`` and ``pg_ctl`` in ``/usr/lib/postgresql/<version>/bin``, not on PATH;
both places are searched.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

USER = "safetool"
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
"""For tests: a throwaway server need not survive a power cut."""


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be used here; the message says why."""


def find_postgres_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    found = shutil.which("initdb")
    if found is not None:
        folder = Path(found).resolve().parent
        if (folder / "pg_ctl").exists():
            return folder
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ThrowawayPostgres:
    folder: Path
    bin_dir: Path
    port: int
    password: str = field(repr=False)
    run_as: str | None
    _stopped: bool = False

    def _command(self, *argv: str) -> list[str]:
        if self.run_as is None:
            return list(argv)
        return ["runuser", "-u", self.run_as, "--", *argv]

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        if not name.isidentifier():
            raise ValueError(f"database name {name!r} must be an identifier")
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        subprocess.run(
            self._command(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ),
            cwd=self.folder,
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "postgres.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _run_as_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root and there is no 'postgres' user to run the server as "
            "(PostgreSQL refuses to run as root; install the postgresql package, which "
            "creates it)"
        ) from None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and runuser is not installed")
    return "postgres"


def start_throwaway_postgres(*, durable: bool = False, timeout_s: int = 60) -> ThrowawayPostgres:
    """Start a fresh server; ``durable=False`` turns fsync off (tests)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise PostgresUnavailable(
            "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin); "
            "install it with: apt-get install -y postgresql"
        )
    run_as = _run_as_user()
    # as root, $TMPDIR may be a folder the postgres user cannot enter: use /tmp
    folder = Path(tempfile.mkdtemp(prefix="safetool-pg-", dir="/tmp" if run_as else None))
    password = secrets.token_urlsafe(18)
    server = ThrowawayPostgres(folder, bin_dir, 0, password, run_as)
    atexit.register(server.stop)
    try:
        (folder / "password").write_text(password + "\n")
        if run_as is not None:
            record = pwd.getpwnam(run_as)
            for path in (folder, folder / "password"):
                os.chown(path, record.pw_uid, record.pw_gid)
        os.chmod(folder / "password", 0o600)
        _check(
            server,
            subprocess.run(
                server._command(
                    str(bin_dir / "initdb"),
                    "-D",
                    str(server.data_dir),
                    "-U",
                    USER,
                    f"--pwfile={folder / 'password'}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ),
                cwd=folder,
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout_s,
            ),
            "initdb",
        )
        (folder / "password").unlink()
        settings = [] if durable else list(FAST_SETTINGS)
        settings += ["max_connections=200", "listen_addresses=127.0.0.1"]
        for attempt in range(3):
            server.port = _free_port()
            options = f"-p {server.port} -k {folder} " + " ".join(f"-c {s}" for s in settings)
            started = subprocess.run(
                server._command(
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(server.data_dir),
                    "-l",
                    str(folder / "postgres.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(timeout_s),
                    "start",
                ),
                cwd=folder,
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout_s + 10,
            )
            if started.returncode == 0:
                return server
            if attempt == 2 or "already in use" not in server.log_tail():
                _check(server, started, "pg_ctl start")
        raise PostgresUnavailable("PostgreSQL did not start")  # pragma: no cover
    except PostgresUnavailable:
        server.stop()
        raise
    except (OSError, subprocess.SubprocessError) as error:
        server.stop()
        raise PostgresUnavailable(f"PostgreSQL could not be started: {error}") from None


def _check(server: ThrowawayPostgres, done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        log = server.log_tail(5)
        raise PostgresUnavailable(
            f"{what} failed ({done.returncode}): {' | '.join(detail)}"
            + (f" | log: {log}" if log else "")
        )


@contextlib.contextmanager
def throwaway_postgres(*, durable: bool = False) -> Iterator[ThrowawayPostgres]:
    server = start_throwaway_postgres(durable=durable)
    try:
        yield server
    finally:
        server.stop()
