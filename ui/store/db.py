"""Which database, and how to talk to it safely from several processes.

One setting chooses it: `MAKEMORE_STORE_URL` (a SQLAlchemy URL). Without it the store is SQLite at
`$MAKEMORE_DATA_DIR/store.sqlite3` (default `var/` in the repository), which replicas on one machine
share: WAL lets readers run beside a writer, and a busy timeout makes a writer wait for another
instead of failing. Several machines share a PostgreSQL server: `postgresql://user:password@host/db`
(psycopg 3 is the driver). Both run the same SQLAlchemy Core code.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

URL_VARIABLE = "MAKEMORE_STORE_URL"
DATA_DIR_VARIABLE = "MAKEMORE_DATA_DIR"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = ROOT / "var"
SQLITE_FILE = "store.sqlite3"
BUSY_TIMEOUT_SECONDS = 30  # how long a SQLite writer waits for another process's write to finish
MIGRATION_LOCK = 7_262_026  # PostgreSQL advisory lock held while the schema is migrated
READ_ONLY = "makemore_read_only"  # execution option: a SQLite transaction that only reads


def configured_url(env: dict | None = None) -> str:
    """The store's URL from the environment; the default SQLite file (its folder created, private)."""
    env = os.environ if env is None else env
    if env.get(URL_VARIABLE):
        return env[URL_VARIABLE]
    folder = Path(env.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{folder / SQLITE_FILE}"


def shown_url(url: str | sa.URL) -> str:
    """The URL with its password masked, for messages and `python -m ui.store info`."""
    return sa.make_url(url).render_as_string(hide_password=True)


def create_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # SQLAlchemy's default would be psycopg2
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)  # a server restart leaves dead pooled connections


def _sqlite_engine(url: sa.URL) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def configure(dbapi_connection, _record) -> None:
        # Python's sqlite3 would open transactions itself, too late to take the write lock first: we do it
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; only the last commits can be lost
        cursor.execute("PRAGMA foreign_keys = ON")  # deleting a session deletes its runs
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        # a writer takes the write lock at BEGIN, so it waits (busy timeout) rather than failing midway when
        # another process wrote since it read; readers keep WAL's snapshot without blocking anyone
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that may write: committed at the end, rolled back on an exception."""
    with engine.begin() as conn:
        yield conn


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads (one consistent snapshot)."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn, conn.begin():
        yield conn


def lock_for_migration(conn: Connection) -> None:
    """Make a second process that migrates at the same moment wait for this one (until commit).
    SQLite needs nothing more: BEGIN IMMEDIATE already holds the only write lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
