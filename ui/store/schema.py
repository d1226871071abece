"""The store's tables and the ordered migrations that build them, applied by the app at startup.

`store_version` holds the number of the last migration applied. `migrate` takes the write lock (SQLite's
BEGIN IMMEDIATE, a PostgreSQL advisory lock), applies the missing migrations in order and records the
new number, all in one transaction: a second process starting at the same moment waits, then finds
nothing left to do; a migration that fails leaves the database as it was.

A later change to the schema is a new migration at the end of MIGRATIONS (ALTER TABLE ..., written out),
never an edit of an applied one; the Table objects below describe the latest schema for the queries.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.engine import Connection, Engine

from ui.store import db
from ui.store.errors import StoreError

KEY = 64  # a SHA-256 digest in hex
TEXT = 200  # labels, page names, setups (as makemore.validation.MAX_TEXT)

metadata = sa.MetaData()

store_version = sa.Table(
    "store_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: one row
    Column("version", Integer, nullable=False),
)

# ------------------------------------------------------------------------------------ sessions and runs
sessions = sa.Table(
    "sessions", metadata,
    Column("key", String(KEY), primary_key=True),  # digest of the session code; the code is never stored
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False, index=True),  # expiry counts from here
    Column("state", Text, nullable=False),  # JSON: the app's small per-session state (which run a page shows)
)

runs = sa.Table(
    "runs", metadata,
    Column("session_key", String(KEY), ForeignKey("sessions.key", ondelete="CASCADE"), primary_key=True),
    Column("run_id", String(32), primary_key=True),
    Column("label", String(TEXT), nullable=False),
    Column("page", String(TEXT), nullable=False),
    Column("steps", BigInteger, nullable=False),
    Column("settings", Text, nullable=False),  # JSON of plain values
    Column("checkpoint", LargeBinary, nullable=False),  # makemore.checkpoint.to_bytes
    Column("nbytes", BigInteger, nullable=False),  # checkpoint + settings + frames, for the session's cap
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

run_frames = sa.Table(
    "run_frames", metadata,
    Column("session_key", String(KEY), primary_key=True),
    Column("run_id", String(32), primary_key=True),
    Column("name", String(TEXT), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # one table of a run's history, Arrow IPC
    sa.ForeignKeyConstraint(["session_key", "run_id"], ["runs.session_key", "runs.run_id"], ondelete="CASCADE"),
)

# ------------------------------------------------------------------------------------ the class board
classes = sa.Table(
    "classes", metadata,
    Column("code", String(16), primary_key=True),
    Column("teacher_digest", String(KEY), nullable=False),  # digest of the teacher key
    Column("title", String(TEXT), nullable=False),
    Column("created", Float, nullable=False),
    Column("last_active", Float, nullable=False, index=True),
    Column("closed", Boolean, nullable=False),
    Column("tokens", Float, nullable=False),  # the class's share allowance (a token bucket) ...
    Column("tokens_at", Float, nullable=False),  # ... as it stood at this time
)

members = sa.Table(
    "members", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_code", String(16), ForeignKey("classes.code", ondelete="CASCADE"), nullable=False),
    Column("session_key", String(KEY), nullable=False),
    Column("nickname", String(TEXT), nullable=False),
    Column("nickname_key", String(TEXT), nullable=False),  # casefolded: "Ada" and "ada" are one name
    Column("joined", Float, nullable=False),
    Column("tokens", Float, nullable=False),
    Column("tokens_at", Float, nullable=False),
    sa.UniqueConstraint("class_code", "session_key"),
    sa.UniqueConstraint("class_code", "nickname_key"),
)

shares = sa.Table(
    "shares", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_code", String(16), ForeignKey("classes.code", ondelete="CASCADE"), nullable=False, index=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("setup", String(TEXT), nullable=False),  # the lecture setup the leaderboard groups by
    Column("label", String(TEXT), nullable=False),
    Column("dev_loss", Float, nullable=False),
    Column("steps", BigInteger, nullable=False),
    Column("settings", Text, nullable=False),  # JSON
    Column("curve", Text, nullable=False),  # JSON: the downsampled training loss, {"step": [...], "loss": [...]}
    Column("checkpoint", LargeBinary, nullable=False),  # a copy: "open this run" needs no student's session
    Column("nbytes", BigInteger, nullable=False),
    Column("shared_at", Float, nullable=False),
    Column("hidden", Boolean, nullable=False),
    sa.UniqueConstraint("member_id", "run_id"),  # sharing a run again updates its entry
)


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    return lambda conn: metadata.create_all(conn, tables=list(tables))


# (version, what it adds, the change): applied in order, each once
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "sessions and their runs", _create(sessions, runs, run_frames)),
    (2, "the class board", _create(classes, members, shares)),
]
LATEST = MIGRATIONS[-1][0]


def migrate(engine: Engine) -> list[int]:
    """Bring the database to LATEST; returns the versions this call applied (none if already there)."""
    with db.writing(engine) as conn:
        db.lock_for_migration(conn)
        store_version.create(conn, checkfirst=True)
        current = version(conn)
        if current > LATEST:
            raise StoreError(f"The store at {db.shown_url(engine.url)} was written by a newer version of the app "
                             f"(schema {current}; this one knows up to {LATEST}): update the app.")
        applied = []
        for number, _, change in MIGRATIONS:
            if number > current:
                change(conn)
                applied.append(number)
        if applied:
            if current == 0:
                conn.execute(store_version.insert().values(id=1, version=LATEST))
            else:
                conn.execute(store_version.update().values(version=LATEST))
        return applied


def version(conn: Connection) -> int:
    """The schema version recorded in the database (0 for an empty one)."""
    if not sa.inspect(conn).has_table(store_version.name):
        return 0
    return conn.execute(sa.select(store_version.c.version)).scalar() or 0
