"""The class board: a teacher starts a class, students join with its code and a nickname and share runs.

A class has a short code for students and a separate teacher key (only its digest is stored). Students
need no account: their store session is who they are in the class, under a nickname unique in it. A
share copies the run's checkpoint (so "open this run" needs nobody's session) with its dev loss,
settings and a downsampled loss curve; sharing the same run again updates its entry. The board ranks
the entries of each lecture setup by dev loss. Only the teacher key hides an entry or closes the class
(checked in constant time); a closed class keeps its board but takes no new members or shares.
Shares are rate-limited per student and per class by token buckets kept in the database, so the limit
holds across replicas. A class unused for IDLE_DAYS is deleted with its entries (Store.purge).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from makemore import checkpoint
from makemore.models import config_to_dict
from ui.store import codes, db, plain
from ui.store.errors import InvalidInput, NotAllowed, NotFound, RateLimited, StoreFull
from ui.store.schema import TEXT, classes, members, runs, shares
from ui.store.sessions import Session, checked_run_id

IDLE_DAYS = 30  # a class unused this long is deleted with its entries
NICKNAME_LENGTH = 24
MAX_MEMBERS = 200
MAX_SHARES_PER_MEMBER = 12
MAX_BYTES = 512 * 2**20  # a class's shared checkpoints (a run of the lecture's MLP takes about 0.25 MB)
CURVE_POINTS = 200  # points of each shared loss curve (block means)
TOUCH_SECONDS = 3600  # reading the board marks the class used at most this often
UNSHOWN_SETTINGS = ("stats_every", "exact")  # how statistics were taken, not what was trained


@dataclass(frozen=True)
class Bucket:
    """A token bucket: `capacity` shares at once, then one more every `seconds`."""
    capacity: float
    seconds: float

    def take(self, tokens: float, at: float, now: float) -> tuple[float, float]:
        """(tokens left after taking one, 0.0), or (tokens now, seconds to wait) when none is left."""
        tokens = min(self.capacity, tokens + max(0.0, now - at) / self.seconds)
        if tokens >= 1:
            return tokens - 1, 0.0
        return tokens, (1 - tokens) * self.seconds


STUDENT_SHARES = Bucket(capacity=3, seconds=20)  # a student: 3 at once, then one every 20 s
CLASS_SHARES = Bucket(capacity=30, seconds=2)  # a class: 30 at once, then 30 a minute


@dataclass(frozen=True)
class NewClass:
    code: str  # for the students (on the projector)
    teacher_key: str  # for the teacher only: shown once, never stored


@dataclass(frozen=True)
class Member:
    id: int
    class_code: str
    nickname: str


@dataclass(frozen=True)
class Entry:
    """A shared run on the board."""
    share_id: int
    rank: int  # 1: the lowest dev loss of its setup
    nickname: str
    label: str
    setup: str
    dev_loss: float
    steps: int
    settings: dict
    curve: pd.DataFrame  # step, loss: the training loss in CURVE_POINTS block means
    shared_at: float
    hidden: bool
    member_id: int


@dataclass(frozen=True)
class Board:
    code: str
    title: str
    closed: bool
    teacher: bool  # seen with the teacher key: hidden entries included (marked)
    setups: dict[str, list[Entry]]  # setup -> its entries, best first; setups in name order


@dataclass(frozen=True)
class SharedRun:
    """A shared run opened to sample from or continue: its entry's names and its checked checkpoint."""
    label: str
    nickname: str
    setup: str
    checkpoint: checkpoint.Checkpoint


def differences(entry: Entry, best: Entry) -> list[tuple[str, object, object]]:
    """(setting, this entry's value, the best's value) for every setting where they differ."""
    keys = list(best.settings) + [k for k in entry.settings if k not in best.settings]
    return [(k, entry.settings.get(k), best.settings.get(k)) for k in keys
            if entry.settings.get(k) != best.settings.get(k)]


class ClassBoard:
    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine, self.clock = engine, clock

    def start(self, title: str = "") -> NewClass:
        """A new class with a fresh code (unique) and teacher key."""
        title = plain.label(title, "A class's title", TEXT) if title.strip() else ""
        key, now = codes.new_teacher_key(), self.clock()
        for _ in range(20):  # 729 million codes: a clash is rare, twenty in a row is not going to happen
            code = codes.new_class_code()
            try:
                with db.writing(self.engine) as conn:
                    conn.execute(classes.insert().values(
                        code=code, teacher_digest=codes.digest(key), title=title, created=now, last_active=now,
                        closed=False, tokens=CLASS_SHARES.capacity, tokens_at=now))
                return NewClass(code, key)
            except sa.exc.IntegrityError:
                continue
        raise RuntimeError("no free class code after 20 tries")

    def join(self, code: str, nickname: str, session: Session) -> Member:
        """Join (or, for a session already in it, rename itself in) the class."""
        code = _code(code)
        nickname = plain.label(nickname, "A nickname", NICKNAME_LENGTH)
        now = self.clock()
        with db.writing(self.engine) as conn:
            self._open_class(conn, code, now)
            mine = conn.execute(sa.select(members.c.id).where(members.c.class_code == code,
                                                              members.c.session_key == session.key)).scalar()
            holder = conn.execute(sa.select(members.c.id).where(members.c.class_code == code,
                                                                members.c.nickname_key == nickname.casefold())).scalar()
            if holder is not None and holder != mine:
                raise InvalidInput(f"The nickname “{nickname}” is taken in this class: choose another.")
            if mine is not None:
                conn.execute(members.update().where(members.c.id == mine)
                             .values(nickname=nickname, nickname_key=nickname.casefold()))
                return Member(mine, code, nickname)
            count = conn.execute(sa.select(sa.func.count()).where(members.c.class_code == code)).scalar()
            if count >= MAX_MEMBERS:
                raise StoreFull(f"This class already has {MAX_MEMBERS} students, the most it can.")
            member_id = conn.execute(members.insert().values(
                class_code=code, session_key=session.key, nickname=nickname, nickname_key=nickname.casefold(),
                joined=now, tokens=STUDENT_SHARES.capacity, tokens_at=now)).inserted_primary_key[0]
            return Member(member_id, code, nickname)

    def member(self, code: str, session: Session) -> Member | None:
        """The session's membership of the class, if it joined."""
        code = _code(code)
        with db.reading(self.engine) as conn:
            row = conn.execute(sa.select(members.c.id, members.c.nickname).where(
                members.c.class_code == code, members.c.session_key == session.key)).one_or_none()
        return Member(row.id, code, row.nickname) if row else None

    def share(self, code: str, session: Session, run_id: str, setup: str) -> int:
        """Share one of the session's saved runs under a lecture setup (e.g. "Part 2 · MLP · names.txt");
        returns the entry's id. The run needs a dev loss (measured when it pauses)."""
        code, setup, run_id = _code(code), plain.label(setup, "A setup", TEXT), checked_run_id(run_id)
        with db.reading(self.engine) as conn:
            run = conn.execute(sa.select(runs.c.label, runs.c.checkpoint).where(
                runs.c.session_key == session.key, runs.c.run_id == run_id)).one_or_none()
        if run is None:
            raise NotFound("This run is not saved in your session, so it cannot be shared.")
        ckpt = checkpoint.from_bytes(run.checkpoint, source=f"the run “{run.label}”")
        dev = ckpt.meta.get("losses", {}).get("dev_loss")
        if dev is None or not math.isfinite(dev):
            raise InvalidInput(f"The run “{run.label}” has no dev loss yet: pause it (its dev loss is measured "
                               "then), then share it.")
        row = dict(setup=setup, label=run.label, dev_loss=dev, steps=ckpt.meta.get("steps", 0),
                   settings=json.dumps(run_settings(ckpt)), curve=json.dumps(downsampled(ckpt.meta.get("loss_curve"))),
                   checkpoint=run.checkpoint, nbytes=len(run.checkpoint))
        now = self.clock()
        with db.writing(self.engine) as conn:
            cls = self._open_class(conn, code, now)
            member = conn.execute(sa.select(members).where(members.c.class_code == code,
                                                           members.c.session_key == session.key)
                                  .with_for_update()).one_or_none()
            if member is None:
                raise NotAllowed("Join the class (its code and a nickname) before sharing a run with it.")
            existing = conn.execute(sa.select(shares.c.id, shares.c.nbytes).where(
                shares.c.member_id == member.id, shares.c.run_id == run_id)).one_or_none()
            mine, class_bytes = conn.execute(
                sa.select(sa.func.count().filter(shares.c.member_id == member.id),
                          sa.func.coalesce(sa.func.sum(shares.c.nbytes), 0)).where(shares.c.class_code == code)).one()
            if existing is None and mine >= MAX_SHARES_PER_MEMBER:
                raise StoreFull(f"You have shared {MAX_SHARES_PER_MEMBER} runs with this class, the most one student "
                                "can: share a better run again to update its entry instead.")
            if class_bytes - (existing.nbytes if existing else 0) + row["nbytes"] > MAX_BYTES:
                raise StoreFull("The class board is full (its shared runs take "
                                f"{MAX_BYTES / 2**20:.0f} MB): ask the teacher to start a new class.")
            student_tokens, wait = STUDENT_SHARES.take(member.tokens, member.tokens_at, now)
            if wait:
                raise RateLimited(f"You are sharing quickly: try again in {math.ceil(wait)} s.", wait)
            class_tokens, wait = CLASS_SHARES.take(cls.tokens, cls.tokens_at, now)
            if wait:
                raise RateLimited(f"The class is sharing faster than the board takes: try again in "
                                  f"{math.ceil(wait)} s.", wait)
            conn.execute(members.update().where(members.c.id == member.id).values(tokens=student_tokens, tokens_at=now))
            conn.execute(classes.update().where(classes.c.code == code)
                         .values(tokens=class_tokens, tokens_at=now, last_active=now))
            if existing is not None:
                conn.execute(shares.update().where(shares.c.id == existing.id).values(shared_at=now, **row))
                return existing.id
            return conn.execute(shares.insert().values(class_code=code, member_id=member.id, run_id=run_id,
                                                       shared_at=now, hidden=False, **row)).inserted_primary_key[0]

    def board(self, code: str, teacher_key: str | None = None) -> Board:
        """The class's entries ranked per setup; hidden ones only with the teacher key (NotAllowed if wrong)."""
        code, now = _code(code), self.clock()
        with db.reading(self.engine) as conn:
            cls = self._class(conn, code, now)
            teacher = teacher_key is not None and self._is_teacher(cls, teacher_key)
            columns = [shares.c[name] for name in ("id", "setup", "label", "dev_loss", "steps", "settings", "curve",
                                                   "shared_at", "hidden", "member_id")]
            query = (sa.select(*columns, members.c.nickname).join(members, members.c.id == shares.c.member_id)
                     .where(shares.c.class_code == code)
                     .order_by(shares.c.setup, shares.c.dev_loss, shares.c.shared_at))
            rows = conn.execute(query if teacher else query.where(shares.c.hidden.is_(False))).all()
        if now - cls.last_active > TOUCH_SECONDS:
            with db.writing(self.engine) as conn:
                conn.execute(classes.update().where(classes.c.code == code).values(last_active=now))
        setups: dict[str, list[Entry]] = {}
        for row in rows:
            entries = setups.setdefault(row.setup, [])
            curve = plain.loads(row.curve, "a shared loss curve")
            entries.append(Entry(row.id, len(entries) + 1, row.nickname, row.label, row.setup, row.dev_loss,
                                 row.steps, plain.loads(row.settings, "a shared run's settings"),
                                 pd.DataFrame(curve, columns=["step", "loss"]), row.shared_at, row.hidden,
                                 row.member_id))
        return Board(code, cls.title, cls.closed, teacher, setups)

    def open(self, code: str, share_id: int, teacher_key: str | None = None) -> SharedRun:
        """A shared run's checkpoint, checked as an upload is (hidden entries only for the teacher)."""
        code, now = _code(code), self.clock()
        with db.reading(self.engine) as conn:
            cls = self._class(conn, code, now)
            teacher = teacher_key is not None and self._is_teacher(cls, teacher_key)
            row = conn.execute(sa.select(shares.c.label, shares.c.setup, shares.c.checkpoint, shares.c.hidden,
                                         members.c.nickname).join(members, members.c.id == shares.c.member_id)
                               .where(shares.c.class_code == code, shares.c.id == share_id)).one_or_none()
        if row is None or (row.hidden and not teacher):
            raise NotFound("This entry is no longer on the class board.")
        source = f"the run “{row.label}” shared by “{row.nickname}”"
        return SharedRun(row.label, row.nickname, row.setup, checkpoint.from_bytes(row.checkpoint, source=source))

    def hide(self, code: str, teacher_key: str, share_id: int, hidden: bool = True) -> None:
        """Take an entry off the students' board (or put it back): teacher only."""
        code, now = _code(code), self.clock()
        with db.writing(self.engine) as conn:
            self._teacher(conn, code, teacher_key, now)
            changed = conn.execute(shares.update().where(shares.c.class_code == code, shares.c.id == share_id)
                                   .values(hidden=hidden)).rowcount
        if not changed:
            raise NotFound("This entry is no longer on the class board.")

    def close(self, code: str, teacher_key: str) -> None:
        """Stop new members and shares; the board stays readable until the class expires. Teacher only."""
        code, now = _code(code), self.clock()
        with db.writing(self.engine) as conn:
            self._teacher(conn, code, teacher_key, now)
            conn.execute(classes.update().where(classes.c.code == code).values(closed=True, last_active=now))

    def is_teacher(self, code: str, teacher_key: str) -> bool:
        with db.reading(self.engine) as conn:
            return self._is_teacher(self._class(conn, _code(code), self.clock()), teacher_key)

    # ------------------------------------------------------------------------------------ helpers
    def _class(self, conn: Connection, code: str, now: float, lock: bool = False):
        query = sa.select(classes).where(classes.c.code == code)
        row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None or now - row.last_active > IDLE_DAYS * 86_400:
            raise NotFound(f"There is no class with the code {code} (a class ends {IDLE_DAYS} days after its "
                           "last use).")
        return row

    def _open_class(self, conn: Connection, code: str, now: float):
        """The class's row, locked for this transaction; NotAllowed once the teacher closed it."""
        row = self._class(conn, code, now, lock=True)
        if row.closed:
            raise NotAllowed("This class is closed: the teacher has stopped new members and shares.")
        return row

    @staticmethod
    def _is_teacher(row, teacher_key: str) -> bool:
        if not codes.matches(teacher_key, row.teacher_digest):
            raise NotAllowed("That is not this class's teacher key.")
        return True

    def _teacher(self, conn: Connection, code: str, teacher_key: str, now: float) -> None:
        self._is_teacher(self._class(conn, code, now, lock=True), teacher_key)


def purge(conn: Connection, now: float) -> int:
    """Delete the classes unused for IDLE_DAYS, with their members and entries; returns how many."""
    return conn.execute(classes.delete().where(classes.c.last_active < now - IDLE_DAYS * 86_400)).rowcount


def _code(text: str) -> str:
    code = codes.class_code(text)
    if code is None:
        raise InvalidInput(f"A class code is {codes.CLASS_CODE_LENGTH} letters and digits, like HK7Q2X.")
    return code


def run_settings(ckpt: checkpoint.Checkpoint) -> dict:
    """What trained the run, for the board's "against the best": model config, training settings, seed, data."""
    settings = config_to_dict(ckpt.model.config)
    train = ckpt.meta.get("train_config")
    if train is not None:
        settings.update({k: v for k, v in asdict(train).items() if k not in UNSHOWN_SETTINGS})
    settings.update(seed=ckpt.meta.get("seed"), data=ckpt.meta.get("data_label"))
    return plain.checked(settings, "A run's settings")


def downsampled(curve: dict | None, points: int = CURVE_POINTS) -> dict:
    """A loss curve in at most `points` block means (each at its block's last step), non-finite losses dropped."""
    if not curve or not curve.get("step"):
        return {"step": [], "loss": []}
    steps, losses = np.asarray(curve["step"], dtype=np.int64), np.asarray(curve["loss"], dtype=np.float64)
    keep = np.isfinite(losses)
    steps, losses = steps[keep], losses[keep]
    blocks = [b for b in np.array_split(np.arange(len(steps)), min(points, len(steps))) if len(b)]
    return {"step": [int(steps[b[-1]]) for b in blocks], "loss": [float(losses[b].mean()) for b in blocks]}
