"""A student's session in the store: its secret code, its runs and a little state, kept across reloads.

Whoever holds the code finds the runs: the page keeps it in its URL (never in a shared link). A session
unused for IDLE_DAYS is deleted with its runs (lazily, see Store.purge). A session keeps at most MAX_RUNS
runs and MAX_BYTES bytes; past either, saving raises StoreFull with a message that says what to do.

A run is saved whole each time (its checkpoint, settings and history tables replace the previous ones,
in one transaction) and loaded through makemore.checkpoint.from_bytes, which checks every field, as
for an uploaded file: a run the database hands back damaged or forged is refused, never built blindly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from makemore import checkpoint, validation
from ui.store import codes, db, frames, plain
from ui.store.errors import InvalidInput, NotFound, StoreFull
from ui.store.schema import TEXT, run_frames, runs, sessions

IDLE_DAYS = 30  # a session unused this long is deleted with its runs
MAX_RUNS = 12  # as ui/runs.py's registry
MAX_BYTES = 64 * 2**20  # per session: 12 runs of the largest network the controls build, with a 5 MB word list
MAX_SETTINGS_BYTES = 16 * 1024
MAX_STATE_BYTES = 64 * 1024
TOUCH_SECONDS = 60  # last_seen is rewritten at most this often by reads
AUTOSAVE_SECONDS = 5.0  # a training run is saved at most this often (benchmarks/store_speed.py: < 1% of a tick)
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass
class SavedRun:
    """What the app saves of a run."""
    run_id: str
    label: str
    page: str
    steps: int
    checkpoint: bytes  # makemore.checkpoint.to_bytes(...) (ui.runs.checkpoint_bytes)
    settings: dict = field(default_factory=dict)  # plain values: what the page needs to rebuild its controls
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # history beyond the checkpoint's loss curve


@dataclass(frozen=True)
class RunInfo:
    """A saved run as listed, without loading it."""
    run_id: str
    label: str
    page: str
    steps: int
    nbytes: int
    updated: float


@dataclass
class StoredRun:
    """A saved run loaded back: its checkpoint rebuilt and checked, its settings and history tables."""
    info: RunInfo
    checkpoint: checkpoint.Checkpoint
    settings: dict
    frames: dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Usage:
    runs: int
    nbytes: int


def autosave_due(last_saved: float | None, now: float, every: float = AUTOSAVE_SECONDS) -> bool:
    """Whether a training run should be saved now (first save at once, then at most every `every` s)."""
    return last_saved is None or now - last_saved >= every


class Session:
    """One session's runs; get it from Store.new_session or Store.open_session."""

    def __init__(self, engine: Engine, clock: Callable[[], float], code: str) -> None:
        self.engine, self.clock, self.code = engine, clock, code
        self.key = codes.digest(code)

    # ------------------------------------------------------------------------------------ runs
    def save_run(self, run: SavedRun) -> RunInfo:
        """Save (or replace) a run; StoreFull past MAX_RUNS runs or MAX_BYTES bytes, NotFound once expired."""
        run_id = checked_run_id(run.run_id)
        label, page = plain.label(run.label, "A run's name", TEXT), plain.label(run.page, "A run's page", TEXT)
        if not isinstance(run.checkpoint, bytes) or not run.checkpoint.startswith(checkpoint.ZIP_MAGIC):
            raise ValueError("SavedRun.checkpoint must be makemore.checkpoint.to_bytes(...)")
        steps = validation.whole_number(run.steps, "SavedRun.steps", 0, validation.MAX_STEPS)
        settings = plain.dumps(run.settings, "A run's settings", MAX_SETTINGS_BYTES)
        if len(run.frames) > frames.MAX_FRAMES:
            raise ValueError(f"a run keeps at most {frames.MAX_FRAMES} history tables")
        tables = {name: frames.encode(plain.label(name, "A history table's name", TEXT), frame)
                  for name, frame in run.frames.items()}
        nbytes = len(run.checkpoint) + len(settings) + sum(len(b) for b in tables.values())
        now = self.clock()
        with db.writing(self.engine) as conn:
            self._hold(conn, now)
            other = runs.c.run_id != run_id
            other_runs, other_bytes, exists = conn.execute(sa.select(
                sa.func.count().filter(other), sa.func.coalesce(sa.func.sum(runs.c.nbytes).filter(other), 0),
                sa.func.count().filter(runs.c.run_id == run_id)).where(runs.c.session_key == self.key)).one()
            if not exists and other_runs >= MAX_RUNS:
                raise StoreFull(f"This session already keeps {MAX_RUNS} runs, the most it can: remove one on the "
                                "Compare page to keep new ones.")
            if other_bytes + nbytes > MAX_BYTES:
                raise StoreFull(f"This session's runs would take {(other_bytes + nbytes) / 2**20:.1f} MB, over its "
                                f"{MAX_BYTES / 2**20:.0f} MB: remove a run on the Compare page to keep this one.")
            row = dict(label=label, page=page, steps=steps, settings=settings, checkpoint=run.checkpoint,
                       nbytes=nbytes, updated=now)
            if not exists:
                conn.execute(runs.insert().values(session_key=self.key, run_id=run_id, created=now, **row))
            else:
                conn.execute(runs.update().where(*self._run(run_id)).values(**row))
                conn.execute(run_frames.delete().where(*self._run(run_id, run_frames)))
            if tables:
                conn.execute(run_frames.insert(), [dict(session_key=self.key, run_id=run_id, name=name, data=data)
                                                      for name, data in tables.items()])
        return RunInfo(run_id, label, page, steps, nbytes, now)

    def runs(self) -> list[RunInfo]:
        """The session's runs, oldest first, without loading them."""
        with db.reading(self.engine) as conn:
            rows = conn.execute(sa.select(runs.c.run_id, runs.c.label, runs.c.page, runs.c.steps, runs.c.nbytes,
                                          runs.c.updated)
                                .where(runs.c.session_key == self.key).order_by(runs.c.updated)).all()
        return [RunInfo(*row) for row in rows]

    def load_run(self, run_id: str) -> StoredRun:
        """A saved run rebuilt; NotFound if there is none, CheckpointError (a sentence naming the run and
        what is wrong) if what is stored does not pass the checks an uploaded checkpoint passes."""
        with db.reading(self.engine) as conn:
            row = conn.execute(sa.select(runs).where(*self._run(checked_run_id(run_id)))).one_or_none()
            tables = conn.execute(sa.select(run_frames.c.name, run_frames.c.data)
                                  .where(*self._run(run_id, run_frames))).all() if row else []
        if row is None:
            raise NotFound("This run is no longer kept (removed, or its session expired).")
        source = f"the saved run “{row.label}”"
        ckpt = checkpoint.from_bytes(row.checkpoint, source=source)
        try:
            settings = plain.loads(row.settings, "its settings")
            history = {name: frames.decode(name, data) for name, data in tables}
        except InvalidInput as err:
            raise checkpoint.CheckpointError(f"{source} cannot be loaded: {err}.") from None
        info = RunInfo(row.run_id, row.label, row.page, row.steps, row.nbytes, row.updated)
        return StoredRun(info, ckpt, settings if isinstance(settings, dict) else {}, history)

    def load_runs(self) -> tuple[list[StoredRun], list[tuple[RunInfo, str]]]:
        """Every run that loads, oldest first, and each one refused with the message why (it stays in the
        store, counted against the caps, until removed: offer a Remove button beside the message)."""
        loaded, refused = [], []
        for info in self.runs():
            try:
                loaded.append(self.load_run(info.run_id))
            except checkpoint.CheckpointError as err:
                refused.append((info, str(err)))
            except NotFound:  # removed by another tab since the listing
                continue
        return loaded, refused

    def rename_run(self, run_id: str, label: str) -> None:
        label = plain.label(label, "A run's name", TEXT)
        with db.writing(self.engine) as conn:
            conn.execute(runs.update().where(*self._run(checked_run_id(run_id))).values(label=label))

    def remove_run(self, run_id: str) -> None:
        with db.writing(self.engine) as conn:
            conn.execute(runs.delete().where(*self._run(checked_run_id(run_id))))

    def usage(self) -> Usage:
        with db.reading(self.engine) as conn:
            count, nbytes = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(runs.c.nbytes), 0))
                                         .where(runs.c.session_key == self.key)).one()
        return Usage(count, int(nbytes))

    # ------------------------------------------------------------------------------------ small state
    def state(self) -> dict:
        """The app's small state for this session (e.g. which run each page shows), {} at first."""
        with db.reading(self.engine) as conn:
            text = conn.execute(sa.select(sessions.c.state).where(sessions.c.key == self.key)).scalar()
        value = plain.loads(text, "the session's state") if text else {}
        return value if isinstance(value, dict) else {}

    def set_state(self, value: dict) -> None:
        text = plain.dumps(value, "The session's state", MAX_STATE_BYTES)
        with db.writing(self.engine) as conn:
            self._hold(conn, self.clock())
            conn.execute(sessions.update().where(sessions.c.key == self.key).values(state=text))

    def forget(self) -> None:
        """Delete the session and everything it keeps (its class shares stay with the class)."""
        with db.writing(self.engine) as conn:
            conn.execute(sessions.delete().where(sessions.c.key == self.key))

    # ------------------------------------------------------------------------------------ helpers
    def _hold(self, conn: Connection, now: float) -> None:
        """Mark the session used, which locks its row for the transaction (two replicas saving at once count
        the caps in turn); NotFound once it has expired. One statement: a round trip less per save."""
        live = sessions.c.last_seen >= _cutoff(now)
        if not conn.execute(sessions.update().where(sessions.c.key == self.key, live).values(last_seen=now)).rowcount:
            raise NotFound("This session has expired: its runs were deleted after "
                           f"{IDLE_DAYS} days without use. Runs you train now are kept in a new one.")

    def _run(self, run_id: str, table: sa.Table | None = None) -> tuple:
        """The WHERE clauses that pick this session's run in `table` (the runs table by default)."""
        table = runs if table is None else table
        return table.c.session_key == self.key, table.c.run_id == run_id


def _cutoff(now: float) -> float:
    """Sessions last used before this time have expired."""
    return now - IDLE_DAYS * 86_400


def checked_run_id(run_id: object) -> str:
    """A run id of 1 to 32 letters, digits, - or _ (ui/runs.new_run_id makes 10 hex digits); InvalidInput otherwise."""
    if not isinstance(run_id, str) or _RUN_ID.fullmatch(run_id) is None:
        raise InvalidInput("A run id is 1 to 32 letters, digits, '-' or '_'.")
    return run_id


def create(conn: Connection, now: float) -> str:
    """A new session's row; returns its code (only its digest is stored)."""
    code = codes.new_session_code()
    conn.execute(sessions.insert().values(key=codes.digest(code), created=now, last_seen=now, state="{}"))
    return code


def find_live(engine: Engine, code: object, now: float) -> bool:
    """Whether `code` is a live session's (then marked used, at most every TOUCH_SECONDS)."""
    if not codes.is_session_code(code):
        return False
    key = codes.digest(code)
    with db.reading(engine) as conn:
        last_seen = conn.execute(sa.select(sessions.c.last_seen).where(sessions.c.key == key)).scalar()
    if last_seen is None or last_seen < _cutoff(now):
        return False
    if now - last_seen > TOUCH_SECONDS:
        with db.writing(engine) as conn:
            conn.execute(sessions.update().where(sessions.c.key == key).values(last_seen=now))
    return True


def purge(conn: Connection, now: float) -> int:
    """Delete the sessions unused for IDLE_DAYS, with their runs; returns how many."""
    return conn.execute(sessions.delete().where(sessions.c.last_seen < _cutoff(now))).rowcount

