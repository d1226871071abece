"""The store (ui/store): runs kept per secret session code, shared by replicas, and the class board.

Every test runs against a fresh database: SQLite in a temporary folder here, a real PostgreSQL server in
tests/test_store_postgres.py (which reruns these tests by overriding `store_url`). Two Store objects on
one URL are two replicas. Time is a fake clock, so expiry and rate limits need no waiting.
"""
from __future__ import annotations

import base64
import threading
from dataclasses import asdict

import pandas as pd
import pytest
import sqlalchemy as sa
import torch

from makemore import checkpoint
from makemore.models import MLPConfig
from makemore.training import TrainConfig, build_trainer
from tests.test_hostile_checkpoints import hostile, payload, saved
from ui import store as store_package
from ui.store import (
    InvalidInput,
    NotAllowed,
    NotFound,
    RateLimited,
    SavedRun,
    Store,
    StoreError,
    StoreFull,
    classes,
    codes,
    db,
    differences,
    schema,
    sessions,
)
from ui.store.__main__ import main as store_command

DAY = 86_400


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url, clock):
    opened = Store(store_url, clock)
    yield opened
    opened.close()


@pytest.fixture
def replica(store, store_url, clock):
    """A second server process on the same database (opened after `store`, which migrated it)."""
    opened = Store(store_url, clock)
    yield opened
    opened.close()


def saved_run(data, run_id: str = "run1", label: str = "my mlp", dev: float | None = 2.3, lr: float = 0.1,
              steps: int = 20, history_rows: int = 40) -> SavedRun:
    """A small MLP trained `steps` steps, as the app would save it (checkpoint, settings, a history table)."""
    trainer = build_trainer(MLPConfig(n_hidden=16), TrainConfig(steps=steps, lr=lr), data, 7)
    trainer.advance(steps)
    meta = {"label": label, "seed": 7, "steps": steps, "data_label": "names", "train_config": asdict(trainer.config),
            "losses": {"dev_loss": dev} if dev is not None else {},
            "loss_curve": {"step": trainer.loss_history.steps.tolist(),
                           "loss": trainer.loss_history.values[:, 0].tolist()}}
    raw = checkpoint.to_bytes(trainer.model, data.vocab, data.splits["train"][:50], meta)
    updates = pd.DataFrame({"step": range(history_rows), "name": ["W1", "W2"] * (history_rows // 2),
                            "log10_ratio": [-3.0 + i / 100 for i in range(history_rows)]})
    return SavedRun(run_id, label, "MLP", steps, raw, {"lr": lr, "block_size": 3}, {"update_curve": updates})


def count(store: Store, table: sa.Table) -> int:
    with db.reading(store.engine) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


# ------------------------------------------------------------------------------------ schema
def test_migrations_build_an_empty_database_then_find_nothing_to_do(store_url):
    engine = db.create_engine(store_url)
    try:
        assert schema.migrate(engine) == [1, 2]
        assert schema.migrate(engine) == []
        with db.reading(engine) as conn:
            assert schema.version(conn) == schema.LATEST
            assert set(sa.inspect(conn).get_table_names()) >= {t.name for t in schema.metadata.tables.values()}
    finally:
        engine.dispose()


def test_two_processes_starting_at_once_migrate_once(store_url):
    engines = [db.create_engine(store_url) for _ in range(2)]
    barrier, results, errors = threading.Barrier(2), [], []

    def start(engine) -> None:
        barrier.wait()
        try:
            results.append(schema.migrate(engine))
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert sorted(results) == [[], [1, 2]]


def test_a_database_from_a_newer_app_is_refused_with_a_message(store, store_url):
    with db.writing(store.engine) as conn:
        conn.execute(schema.store_version.update().values(version=schema.LATEST + 1))
    with pytest.raises(StoreError, match="newer version of the app"):
        Store(store_url).close()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(store):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_SECONDS * 1000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_default_store_is_sqlite_in_the_data_dir_and_the_url_setting_wins(tmp_path):
    assert db.configured_url({db.DATA_DIR_VARIABLE: str(tmp_path / "d")}) == \
        f"sqlite:///{tmp_path / 'd' / 'store.sqlite3'}"
    assert (tmp_path / "d").is_dir()
    assert db.configured_url({db.URL_VARIABLE: "postgresql://u:p@h/db"}) == "postgresql://u:p@h/db"
    assert db.create_engine("postgresql://u:secret@h/db").dialect.driver == "psycopg"
    assert "secret" not in db.shown_url("postgresql://u:secret@h/db")


# ------------------------------------------------------------------------------------ codes
def test_session_codes_carry_160_random_bits_and_only_their_digest_is_stored(store):
    made = [store.new_session().code for _ in range(200)]
    assert len(set(made)) == len(made)
    for code in made:
        assert codes.is_session_code(code)
        assert len(base64.urlsafe_b64decode(code + "=")) * 8 == 160  # the issue asks for at least 128
    with db.reading(store.engine) as conn:
        stored = " ".join(conn.execute(sa.select(schema.sessions.c.key)).scalars())
    assert not any(code in stored for code in made)
    assert codes.digest(made[0]) in stored


def test_class_codes_are_short_unambiguous_and_teacher_keys_are_128_bits():
    for _ in range(200):
        code = codes.new_class_code()
        assert len(code) == 6 and set(code) <= set(codes.CLASS_ALPHABET)
        assert len(base64.urlsafe_b64decode(codes.new_teacher_key() + "==")) * 8 == 128
    assert not set("0O1IL") & set(codes.CLASS_ALPHABET)
    assert codes.class_code(" hk7-q2x ") == "HK7Q2X"
    assert codes.class_code("HK7Q2") is None and codes.class_code("HK7Q20") is None and codes.class_code(7) is None


def test_unknown_and_malformed_session_codes_find_nothing(store):
    assert store.open_session(codes.new_session_code()) is None
    for junk in ("", "abc", "x" * 400, "'; DROP TABLE runs; --", None, 12):
        assert store.open_session(junk) is None


# ------------------------------------------------------------------------------------ runs
def test_a_run_saved_by_one_replica_loads_on_the_other(store, replica, default_data):
    session = store.new_session()
    run = saved_run(default_data)
    session.save_run(run)
    found = replica.open_session(session.code)
    assert found is not None
    [info] = found.runs()
    assert (info.run_id, info.label, info.page, info.steps) == ("run1", "my mlp", "MLP", 20)
    loaded = found.load_run("run1")
    original = checkpoint.from_bytes(run.checkpoint)
    for name, tensor in original.model.state_dict().items():
        assert torch.equal(loaded.checkpoint.model.state_dict()[name], tensor)
    assert loaded.checkpoint.meta["loss_curve"] == original.meta["loss_curve"]
    assert loaded.settings == {"lr": 0.1, "block_size": 3}
    pd.testing.assert_frame_equal(loaded.frames["update_curve"], run.frames["update_curve"], check_dtype=False)


def test_saving_a_run_again_replaces_it_whole(store, default_data):
    session = store.new_session()
    session.save_run(saved_run(default_data, steps=10))
    again = saved_run(default_data, steps=30)
    again.frames = {"pinned_loss": pd.DataFrame({"step": [1, 2], "loss": [3.0, 2.9], "run": ["a", "a"]})}
    session.save_run(again)
    [info] = session.runs()
    loaded = session.load_run("run1")
    assert info.steps == 30 and loaded.checkpoint.meta["steps"] == 30
    assert set(loaded.frames) == {"pinned_loss"}
    assert session.usage().nbytes == info.nbytes


def test_rename_remove_and_the_small_state_reach_the_other_replica(store, replica, default_data):
    session = store.new_session()
    session.save_run(saved_run(default_data, "a"))
    session.save_run(saved_run(default_data, "b"))
    session.rename_run("a", "  baseline  ")
    session.remove_run("b")
    session.set_state({"live": {"MLP": "a"}, "compare": ["a"]})
    other = replica.open_session(session.code)
    assert [(r.run_id, r.label) for r in other.runs()] == [("a", "baseline")]
    assert other.state() == {"live": {"MLP": "a"}, "compare": ["a"]}
    with pytest.raises(NotFound, match="no longer kept"):
        other.load_run("b")


def test_a_session_holds_at_most_max_runs(store, default_data):
    session = store.new_session()
    for i in range(sessions.MAX_RUNS):
        session.save_run(saved_run(default_data, f"r{i}"))
    with pytest.raises(StoreFull, match=f"already keeps {sessions.MAX_RUNS} runs.*remove one on the Compare page"):
        session.save_run(saved_run(default_data, "one-more"))
    session.save_run(saved_run(default_data, "r3", steps=25))  # replacing a kept run still works
    session.remove_run("r0")
    session.save_run(saved_run(default_data, "one-more"))
    assert session.usage().runs == sessions.MAX_RUNS


def test_a_session_holds_at_most_max_bytes(store, default_data, monkeypatch):
    session = store.new_session()
    run = saved_run(default_data)
    size = session.save_run(run).nbytes
    monkeypatch.setattr(sessions, "MAX_BYTES", int(2.5 * size))
    session.save_run(saved_run(default_data, "second"))
    with pytest.raises(StoreFull, match=r"would take .* MB, over its .* MB: remove a run"):
        session.save_run(saved_run(default_data, "third"))
    assert [r.run_id for r in session.runs()] == ["run1", "second"]


def test_two_replicas_saving_at_once_keep_the_cap(store, replica, default_data):
    session = store.new_session()
    twin = replica.open_session(session.code)
    runs = [saved_run(default_data, f"r{i}") for i in range(16)]
    outcomes, lock = [], threading.Lock()

    def save(target, run) -> None:
        try:
            target.save_run(run)
            result = "saved"
        except StoreFull:
            result = "full"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=save, args=(session if i % 2 else twin, run)) for i, run in enumerate(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["full"] * 4 + ["saved"] * 12
    assert session.usage().runs == sessions.MAX_RUNS


def test_what_a_run_is_saved_with_is_checked(store, default_data):
    session = store.new_session()
    run = saved_run(default_data)
    for change, error in [({"label": "two\nlines"}, "printable text on one line"), ({"label": " "}, "1 to 200"),
                          ({"run_id": "../x"}, "run id"), ({"settings": {"lr": float("nan")}}, "not finite"),
                          ({"settings": {"model": object()}}, "plain values")]:
        with pytest.raises(InvalidInput, match=error):
            session.save_run(SavedRun(**{**asdict_shallow(run), **change}))
    with pytest.raises(ValueError, match="to_bytes"):
        session.save_run(SavedRun(**{**asdict_shallow(run), "checkpoint": b"not a checkpoint"}))
    with pytest.raises(ValueError, match="numbers or text"):
        session.save_run(SavedRun(**{**asdict_shallow(run), "frames": {"t": pd.DataFrame({"x": [object()]})}}))
    assert session.runs() == []


def asdict_shallow(run: SavedRun) -> dict:
    return {k: getattr(run, k) for k in ("run_id", "label", "page", "steps", "checkpoint", "settings", "frames")}


def test_a_hostile_checkpoint_in_the_store_is_refused_on_load_with_a_clear_message(store, default_data):
    session = store.new_session()
    session.save_run(saved_run(default_data, "good"))
    session.save_run(saved_run(default_data, "forged", label="forged"))
    for name, (raw, message) in hostile(default_data).items():
        with db.writing(store.engine) as conn:
            conn.execute(schema.runs.update().where(schema.runs.c.run_id == "forged").values(checkpoint=raw))
        with pytest.raises(checkpoint.CheckpointError) as refused:
            session.load_run("forged")
        assert "the saved run “forged”" in str(refused.value) and message in str(refused.value), name
    loaded, problems = session.load_runs()
    assert [r.info.run_id for r in loaded] == ["good"]
    assert [(info.run_id, "the saved run “forged”" in message) for info, message in problems] == [("forged", True)]


def test_a_damaged_history_table_or_settings_in_the_store_is_refused(store, default_data):
    session = store.new_session()
    session.save_run(saved_run(default_data))
    where = schema.run_frames.c.run_id == "run1"
    with db.writing(store.engine) as conn:
        conn.execute(schema.run_frames.update().where(where).values(data=b"ARROW1 garbage"))
    with pytest.raises(checkpoint.CheckpointError, match="“my mlp” cannot be loaded: its history table "
                                                         "'update_curve' cannot be read"):
        session.load_run("run1")
    session.save_run(saved_run(default_data))
    with db.writing(store.engine) as conn:
        conn.execute(schema.runs.update().values(settings='{"lr": NaN}'))
    with pytest.raises(checkpoint.CheckpointError, match="its settings"):
        session.load_run("run1")


def test_a_history_table_past_the_bound_is_refused_before_it_is_read(store, default_data, monkeypatch):
    session = store.new_session()
    session.save_run(saved_run(default_data, history_rows=100))
    monkeypatch.setattr(store_package.frames, "MAX_ROWS", 50)
    with pytest.raises(checkpoint.CheckpointError, match="over 50 rows"):
        session.load_run("run1")


# ------------------------------------------------------------------------------------ expiry
def test_an_idle_session_expires_and_is_purged_with_its_runs(store, replica, clock, default_data):
    session = store.new_session()
    session.save_run(saved_run(default_data))
    clock.advance(20 * DAY)
    assert replica.open_session(session.code) is not None  # a visit counts as use ...
    clock.advance(25 * DAY)
    assert store.open_session(session.code) is not None  # ... so 45 days on it is still there
    clock.advance(sessions.IDLE_DAYS * DAY + 60)
    assert store.open_session(session.code) is None
    with pytest.raises(NotFound, match=f"expired: its runs were deleted after {sessions.IDLE_DAYS} days"):
        session.save_run(saved_run(default_data))
    store.purge()  # (opening it above already swept: a day had passed since the last sweep)
    assert count(store, schema.sessions) == 0
    assert count(store, schema.runs) == 0 and count(store, schema.run_frames) == 0


def test_purging_is_lazy_and_spares_live_sessions(store, clock, default_data):
    old = store.new_session()
    old.save_run(saved_run(default_data))
    clock.advance(sessions.IDLE_DAYS * DAY + 1)
    kept = store.new_session()  # opening the store for someone sweeps (at most hourly)
    assert count(store, schema.sessions) == 1 and count(store, schema.runs) == 0
    assert store.open_session(kept.code) is not None


# ------------------------------------------------------------------------------------ the class board
def class_of_three(store, default_data, dev_losses=(2.4, 2.2, 2.3)):
    """A class, and three students who each saved a run with the given dev loss and shared it."""
    new = store.classes.start("Period 3")
    students = []
    for i, (nick, dev) in enumerate(zip(("ada", "<b>bo</b>", "cy"), dev_losses)):
        session = store.new_session()
        store.classes.join(new.code.lower(), nick, session)
        session.save_run(saved_run(default_data, f"run{i}", label=f"{nick}'s mlp", dev=dev, lr=0.1 * (i + 1)))
        store.classes.share(new.code, session, f"run{i}", "Part 2 · MLP")
        students.append(session)
    return new, students


def test_a_class_board_ranks_shares_per_setup_on_every_replica(store, replica, default_data):
    new, students = class_of_three(store, default_data)
    students[0].save_run(saved_run(default_data, "deep", label="deep one", dev=2.0))
    store.classes.share(new.code, students[0], "deep", "Part 3 · deep")
    board = replica.classes.board(new.code)
    assert (board.title, board.closed, board.teacher) == ("Period 3", False, False)
    assert list(board.setups) == ["Part 2 · MLP", "Part 3 · deep"]
    mlp = board.setups["Part 2 · MLP"]
    assert [(e.rank, e.nickname, e.dev_loss) for e in mlp] == [(1, "<b>bo</b>", 2.2), (2, "cy", 2.3), (3, "ada", 2.4)]
    assert mlp[0].label == "<b>bo</b>'s mlp"  # kept as text: the page shows it as text, never markup
    assert 0 < len(mlp[0].curve) <= classes.CURVE_POINTS and list(mlp[0].curve.columns) == ["step", "loss"]
    assert mlp[0].settings["lr"] == pytest.approx(0.2) and mlp[0].settings["family"] == "mlp"
    assert "stats_every" not in mlp[0].settings
    assert differences(mlp[1], mlp[0]) == [("lr", pytest.approx(0.3), pytest.approx(0.2))]
    opened = replica.classes.open(new.code, mlp[0].share_id)
    assert (opened.nickname, opened.label) == ("<b>bo</b>", "<b>bo</b>'s mlp")
    assert opened.checkpoint.meta["losses"]["dev_loss"] == 2.2


def test_sharing_a_run_again_updates_its_entry(store, clock, default_data):
    new, students = class_of_three(store, default_data)
    first = store.classes.board(new.code).setups["Part 2 · MLP"][-1]
    clock.advance(60)
    students[0].save_run(saved_run(default_data, "run0", label="ada's mlp", dev=2.1, steps=40))
    assert store.classes.share(new.code, students[0], "run0", "Part 2 · MLP") == first.share_id
    entries = store.classes.board(new.code).setups["Part 2 · MLP"]
    assert [(e.nickname, e.dev_loss, e.steps) for e in entries][0] == ("ada", 2.1, 40) and len(entries) == 3


def test_nicknames_are_checked_and_unique_in_a_class(store):
    new = store.classes.start()
    first, second = store.new_session(), store.new_session()
    store.classes.join(new.code, "Ada", first)
    with pytest.raises(InvalidInput, match="“ada” is taken"):
        store.classes.join(new.code, "ada", second)
    for bad, error in [("", "1 to 24"), ("x" * 25, "1 to 24"), ("a\u0007b", "printable"), ("a\nb", "printable")]:
        with pytest.raises(InvalidInput, match=error):
            store.classes.join(new.code, bad, second)
    assert store.classes.join(new.code, "Ada L.", first).nickname == "Ada L."  # renaming oneself
    assert store.classes.member(new.code, first).nickname == "Ada L."
    assert store.classes.member(new.code, second) is None
    with pytest.raises(InvalidInput, match="6 letters and digits"):
        store.classes.join("nope", "cy", second)
    with pytest.raises(NotFound, match="no class with the code"):
        store.classes.join("ZZZZZZ", "cy", second)


def test_only_the_teacher_key_hides_entries_and_closes_the_class(store, default_data):
    new, students = class_of_three(store, default_data)
    other = store.classes.start()
    best = store.classes.board(new.code).setups["Part 2 · MLP"][0]
    for key in (None, "", students[0].code, other.teacher_key, new.teacher_key[:-1] + "x", new.code):
        with pytest.raises(NotAllowed, match="teacher key"):
            store.classes.hide(new.code, key, best.share_id)
        with pytest.raises(NotAllowed, match="teacher key"):
            store.classes.close(new.code, key)
    with pytest.raises(NotAllowed, match="teacher key"):
        store.classes.board(new.code, teacher_key=other.teacher_key)
    assert store.classes.is_teacher(new.code, new.teacher_key)
    store.classes.hide(new.code, new.teacher_key, best.share_id)
    student_view = store.classes.board(new.code).setups["Part 2 · MLP"]
    assert [e.nickname for e in student_view] == ["cy", "ada"] and student_view[0].rank == 1
    with pytest.raises(NotFound):
        store.classes.open(new.code, best.share_id)
    teacher_view = store.classes.board(new.code, teacher_key=new.teacher_key)
    assert teacher_view.teacher and [e.hidden for e in teacher_view.setups["Part 2 · MLP"]] == [True, False, False]
    assert store.classes.open(new.code, best.share_id, teacher_key=new.teacher_key).label == "<b>bo</b>'s mlp"
    with pytest.raises(NotFound):
        store.classes.hide(other.code, other.teacher_key, best.share_id)  # another class's entry
    store.classes.close(new.code, new.teacher_key)
    board = store.classes.board(new.code)
    assert board.closed and len(board.setups["Part 2 · MLP"]) == 2  # closed: still readable
    with pytest.raises(NotAllowed, match="closed"):
        store.classes.join(new.code, "dee", store.new_session())
    with pytest.raises(NotAllowed, match="closed"):
        store.classes.share(new.code, students[1], "run1", "Part 2 · MLP")
    with db.reading(store.engine) as conn:
        assert new.teacher_key not in " ".join(conn.execute(sa.select(schema.classes.c.teacher_digest)).scalars())


def test_shares_are_rate_limited_per_student_and_per_class(store, clock, default_data, monkeypatch):
    new = store.classes.start()
    student = store.new_session()
    store.classes.join(new.code, "ada", student)
    for i in range(4):
        student.save_run(saved_run(default_data, f"r{i}"))
    for i in range(int(classes.STUDENT_SHARES.capacity)):
        store.classes.share(new.code, student, f"r{i}", "mlp")
    with pytest.raises(RateLimited, match=r"try again in 20 s") as limited:
        store.classes.share(new.code, student, "r3", "mlp")
    assert limited.value.retry_after == pytest.approx(classes.STUDENT_SHARES.seconds)
    clock.advance(classes.STUDENT_SHARES.seconds)
    store.classes.share(new.code, student, "r3", "mlp")

    monkeypatch.setattr(classes, "CLASS_SHARES", classes.Bucket(capacity=2, seconds=10))
    crowded = store.classes.start()
    for i, nick in enumerate(("a", "b", "c")):
        session = store.new_session()
        store.classes.join(crowded.code, nick, session)
        session.save_run(saved_run(default_data, "r"))
        if i < 2:
            store.classes.share(crowded.code, session, "r", "mlp")
    with pytest.raises(RateLimited, match="The class is sharing faster"):
        store.classes.share(crowded.code, session, "r", "mlp")


def test_sharing_needs_membership_a_saved_run_and_its_dev_loss(store, default_data, monkeypatch):
    new = store.classes.start()
    student = store.new_session()
    student.save_run(saved_run(default_data, "nodev", label="still training", dev=None))
    student.save_run(saved_run(default_data, "r"))
    with pytest.raises(NotAllowed, match="Join the class"):
        store.classes.share(new.code, student, "r", "mlp")
    store.classes.join(new.code, "ada", student)
    with pytest.raises(NotFound, match="not saved"):
        store.classes.share(new.code, student, "missing", "mlp")
    with pytest.raises(InvalidInput, match="run id"):
        store.classes.share(new.code, student, "x" * 33, "mlp")
    with pytest.raises(InvalidInput, match="“still training” has no dev loss yet: pause it"):
        store.classes.share(new.code, student, "nodev", "mlp")
    monkeypatch.setattr(classes, "MAX_SHARES_PER_MEMBER", 1)
    store.classes.share(new.code, student, "r", "mlp")
    student.save_run(saved_run(default_data, "r2"))
    with pytest.raises(StoreFull, match="shared 1 runs with this class"):
        store.classes.share(new.code, student, "r2", "mlp")


def test_a_hostile_shared_checkpoint_is_refused_when_opened(store, default_data):
    new, _ = class_of_three(store, default_data)
    entry = store.classes.board(new.code).setups["Part 2 · MLP"][0]
    raw = saved(payload(default_data, meta__steps=10**30))
    with db.writing(store.engine) as conn:
        conn.execute(schema.shares.update().values(checkpoint=raw))
    with pytest.raises(checkpoint.CheckpointError, match="shared by “<b>bo</b>”.*its steps must be a whole number"):
        store.classes.open(new.code, entry.share_id)


def test_class_codes_are_unique(store, monkeypatch):
    taken = store.classes.start().code
    offered = iter([taken, taken, "HK7Q2X"])
    monkeypatch.setattr(codes, "new_class_code", lambda: next(offered))
    assert store.classes.start().code == "HK7Q2X"


def test_an_idle_class_expires_and_is_purged_with_its_board(store, clock, default_data):
    new, _ = class_of_three(store, default_data)
    clock.advance(classes.IDLE_DAYS * DAY + 1)
    with pytest.raises(NotFound, match=f"ends {classes.IDLE_DAYS} days after its last use"):
        store.classes.board(new.code)
    assert store.purge()["classes"] == 1
    assert count(store, schema.shares) == 0 and count(store, schema.members) == 0


# ------------------------------------------------------------------------------------ the command
def test_the_command_reports_purges_and_wipes(store, store_url, default_data, monkeypatch, capsys):
    monkeypatch.setenv(db.URL_VARIABLE, store_url)
    kept, gone = store.new_session(), store.new_session()
    kept.save_run(saved_run(default_data))
    gone.save_run(saved_run(default_data))
    new, _ = class_of_three(store, default_data)
    assert store_command(["info"]) == 0
    assert "sessions: 5, runs: 5, classes: 1, shared runs: 3" in capsys.readouterr().out
    assert store_command(["wipe", "--session", gone.code]) == 0
    assert store.open_session(gone.code) is None and store.open_session(kept.code) is not None
    assert store_command(["wipe", "--class", new.code.lower()]) == 0
    assert count(store, schema.classes) == 0 and count(store, schema.shares) == 0
    assert store_command(["wipe", "--session", "not-a-code"]) == 2
    assert store_command(["purge"]) == 0
    assert store_command(["wipe", "--all", "--yes"]) == 0
    assert count(store, schema.sessions) == 0 and count(store, schema.runs) == 0
