"""Runs that outlive a reload, and the class board, in a database shared by every replica.

    store = Store()                      # MAKEMORE_STORE_URL, or SQLite in var/; schema migrated here
    session = store.new_session()        # session.code goes in the page's URL
    session = store.open_session(code)   # None if unknown or expired
    session.save_run(SavedRun(...)); session.runs(); session.load_run(run_id)
    store.classes.start() / join / share / board / open / hide / close

No module here imports streamlit: the app layer keeps one Store per process (it holds a connection pool
and no user's data) and each browser session's code in its own state.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from ui.store import classes as class_board
from ui.store import db, schema, sessions
from ui.store.classes import Board, ClassBoard, Entry, Member, NewClass, SharedRun, differences
from ui.store.errors import InvalidInput, NotAllowed, NotFound, RateLimited, StoreError, StoreFull
from ui.store.sessions import AUTOSAVE_SECONDS, RunInfo, SavedRun, Session, StoredRun, Usage, autosave_due

PURGE_EVERY = 3600  # seconds between this process's sweeps for expired sessions and classes

__all__ = [
    "AUTOSAVE_SECONDS", "Board", "ClassBoard", "Entry", "InvalidInput", "Member", "NewClass", "NotAllowed",
    "NotFound", "RateLimited", "RunInfo", "SavedRun", "Session", "SharedRun", "Store", "StoreError", "StoreFull",
    "StoredRun", "Usage", "autosave_due", "differences",
]


class Store:
    """The store at `url` (default: the environment's, see ui.store.db), its schema brought up to date."""

    def __init__(self, url: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.url = url or db.configured_url()
        self.engine = db.create_engine(self.url)
        self.clock = clock
        schema.migrate(self.engine)
        self.classes = ClassBoard(self.engine, clock)
        self._purged_at = -math.inf

    def new_session(self) -> Session:
        now = self.clock()
        self._purge_now_and_then(now)
        with db.writing(self.engine) as conn:
            code = sessions.create(conn, now)
        return Session(self.engine, self.clock, code)

    def open_session(self, code: object) -> Session | None:
        """The session with this code, or None if there is none (a mistyped link) or it expired."""
        now = self.clock()
        self._purge_now_and_then(now)
        if not sessions.find_live(self.engine, code, now):
            return None
        return Session(self.engine, self.clock, code)

    def purge(self) -> dict[str, int]:
        """Delete every session and class past its idle time; returns how many of each."""
        now = self.clock()
        self._purged_at = now
        with db.writing(self.engine) as conn:
            return {"sessions": sessions.purge(conn, now), "classes": class_board.purge(conn, now)}

    def close(self) -> None:
        self.engine.dispose()

    def _purge_now_and_then(self, now: float) -> None:
        if now - self._purged_at >= PURGE_EVERY:
            self.purge()
