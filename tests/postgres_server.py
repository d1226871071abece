"""A throwaway PostgreSQL server from Debian's binaries, in a temporary folder on a free port.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user (or `nobody`)
through runuser, in a folder that user owns. It trusts local connections (no password) and skips fsync:
a test server, gone when the context ends.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from tests.streamlit_server import free_port

USER = "makemore"  # the database superuser initdb creates
START_SECONDS = 60


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (with initdb and pg_ctl), or None."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [p for p in found if (p / "pg_ctl").is_file()]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def unavailable() -> str:
    """Why no server can be started here ('' if one can): the reason a test is skipped with."""
    if binaries() is None:
        return "PostgreSQL's binaries are not installed (apt-get install postgresql; .ci/run does)"
    if os.geteuid() == 0 and (_system_user() is None or shutil.which("runuser") is None):
        return "running as root without a `postgres` or `nobody` user and runuser to start PostgreSQL as"
    return ""


def _system_user() -> str | None:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """The URL of a running server's `postgres` database; the server and its folder go on exit."""
    bin_dir = binaries()
    folder = Path(tempfile.mkdtemp(prefix="makemore-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = _system_user()
        shutil.chown(folder, user)
        as_user = ["runuser", "-u", user, "--"]
    data, port = folder / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run(as_user + list(args), check=True, capture_output=True, timeout=START_SECONDS, cwd=folder)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "--encoding=UTF8", "--locale=C",
            "--no-sync")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t",
            str(START_SECONDS), "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        try:
            yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped on exit (its connections closed first)."""
    name = f"store_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
