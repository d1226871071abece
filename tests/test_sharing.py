"""The status line says what sharing the server does to a live area: sessions, wall-clock steps/s, the share of
the time it trains, how often it redraws."""
import re
import time
import weakref
from dataclasses import dataclass

import pytest

from tests.apptest_helpers import open_page, press_step
from ui import sharing
from ui.sharing import SessionCount, Sharing, sharing_note


def test_the_server_counts_the_sessions_that_trained_recently():
    count = SessionCount()
    assert count.note("a", 0.0) == 1
    assert count.note("b", 1.0) == 2
    assert count.note("a", 5.0) == 2  # the same session again
    assert count.note("c", 12.0) == 2  # b last trained 11 s ago: its tab closed, or it paused
    assert count.note("c", 30.0, window=30.0) == 2  # a crowded server redraws each less often: a wider window keeps a


@dataclass
class Counter:
    step: int


def test_the_rate_is_by_the_wall_clock_and_the_share_is_of_the_wall_clock():
    run = Counter(1000)
    first = Sharing(weakref.ref(run), run.step, ended_at=10.0, sessions=1)
    run.step = 1500  # 500 steps, trained in 0.5 s (1,000 steps/s in its turn), 2 s after the tick before
    second = first.after(run, trained_seconds=0.5, ended_at=12.0, sessions=4)
    assert (second.step, second.sessions) == (1500, 4)
    assert second.redraw_seconds == pytest.approx(2.0)
    assert second.steps_per_s == pytest.approx(250.0)  # what the network got, not the 1,000 of its turn
    assert second.train_share == pytest.approx(0.25)
    run.step = 2100  # the next tick: 600 steps in 0.3 s, 2 s later
    third = second.after(run, trained_seconds=0.3, ended_at=14.0, sessions=4)
    assert third.steps_per_s == pytest.approx(250 + sharing.SMOOTHING * (300 - 250))
    assert third.train_share == pytest.approx(0.25 + sharing.SMOOTHING * (0.15 - 0.25))


def test_the_note_says_the_share_only_where_others_share_the_server():
    run = Counter(0)
    alone = Sharing(weakref.ref(run), 0, 1.0, sessions=1, redraw_seconds=0.52, steps_per_s=700.0, train_share=0.6)
    assert sharing_note(alone) == "alone on this server: redraws every ~0.5 s"
    crowd = Sharing(weakref.ref(run), 0, 1.0, sessions=3, redraw_seconds=1.44, steps_per_s=300.0, train_share=0.31)
    assert sharing_note(crowd) == "3 sessions share this server: trains 31% of the time, redraws every ~1.4 s"
    first = Sharing(weakref.ref(run), 0, 1.0, sessions=3)  # one tick so far: no interval
    assert sharing_note(first) == "3 sessions share this server"


def status_of(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def shown_rate(status: str) -> float:
    return float(re.search(r"· ([\d,]+) steps/s ·", status).group(1).replace(",", ""))


@pytest.mark.slow
def test_the_status_line_shows_the_wall_clock_rate_and_who_shares_the_server(monkeypatch):
    count = SessionCount()
    monkeypatch.setattr(sharing, "SERVER_SESSIONS", count)  # not the sessions of earlier tests in this process
    at = open_page("pages/3_Activations_and_BatchNorm.py")
    at = at.button(key="diag_train").click().run()  # draws, then the first tick trains
    assert "share this server" not in status_of(at) and "alone" not in status_of(at)  # nothing measured yet
    for other in ("other-1", "other-2"):
        count.note(other, time.perf_counter())  # two classmates trained on this server a moment ago
    time.sleep(1.0)  # the others' turns: this network waits
    at = at.run()  # shows the first tick (no interval yet), then trains the second
    assert re.search(r"· – · loss .* · alone on this server$", status_of(at)), status_of(at)
    turn_rate = at.session_state["diag_run"].rate  # steps/s of the second tick's own training
    at = at.run()  # shows the second tick
    status = status_of(at)
    match = re.search(r"· 3 sessions share this server: trains (\d+)% of the time, redraws every ~(\d+\.\d) s$",
                      status)
    assert match, status
    share, redraw = int(match.group(1)), float(match.group(2))
    assert 1 <= share <= 60 and 1.0 <= redraw < 600  # it waited a second between ticks
    # the network got its share of its turn's rate, not the whole
    assert shown_rate(status) == pytest.approx(share / 100 * turn_rate, rel=0.15), (status, turn_rate)
    assert shown_rate(status) < 0.7 * turn_rate, (status, turn_rate)
    at = at.button(key="diag_pause").click().run()
    status = status_of(at)
    assert "share this server" not in status and "alone" not in status  # only while training
    last = at.session_state[sharing.LAST_KEY]
    assert shown_rate(status) == pytest.approx(last.steps_per_s, abs=0.5)  # paused: the rate it trained at
    at = press_step(at, "diag_step100")
    run = at.session_state["diag_run"]
    assert shown_rate(status_of(at)) == pytest.approx(run.rate, abs=0.5)  # a Step: its steps, all in one go
