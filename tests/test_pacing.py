"""Sessions take turns on the server, in arrival order, and each tick leaves time to redraw."""
import threading
import time
import tomllib

import pytest

from tests.conftest import ROOT
from ui.pacing import (
    AWAY_PER_TRAINING,
    MAX_BUDGET,
    MIN_BUDGET,
    MIN_TRAINING_SHARE,
    SEND_SECONDS,
    TICK_SECONDS,
    FairTurns,
    Pace,
)


def test_turns_are_exclusive_and_granted_in_arrival_order():
    turns, order, inside, overlaps = FairTurns(), [], [], []
    arrived = [threading.Event() for _ in range(5)]

    def session(i: int) -> None:
        if i:
            arrived[i - 1].wait()  # session i asks only once session i-1 is queued (or holding the turn)
            time.sleep(0.02)
        arrived[i].set()
        with turns.turn():
            inside.append(i)
            overlaps.append(len(inside) > 1)
            order.append(i)
            time.sleep(0.05)
            inside.remove(i)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert order == [0, 1, 2, 3, 4]
    assert not any(overlaps)


def test_a_failing_holder_hands_the_turn_on():
    turns = FairTurns()
    with pytest.raises(RuntimeError):
        with turns.turn():
            raise RuntimeError("a rerun interrupts the script")
    done = threading.Event()
    threading.Thread(target=lambda: (turns.turn().__enter__(), done.set())).start()
    assert done.wait(timeout=5)


def test_the_training_budget_is_what_drawing_and_sending_leave_of_a_tick():
    pace = Pace(draw_seconds=0.1)
    assert pace.budget() == pytest.approx(TICK_SECONDS - SEND_SECONDS - 0.1)
    assert pace.budget(1.0) == pytest.approx(1.0 - SEND_SECONDS - 0.1)  # redrawing every second trains more
    assert pace.budget(5.0) == MAX_BUDGET  # a click must still be answered within about a second
    for _ in range(50):
        pace.note_draw(5.0)  # a slow machine: drawing alone fills the tick
    assert pace.budget() == MIN_BUDGET
    for _ in range(50):
        pace.note_draw(0.0)
    assert pace.budget() == pytest.approx(TICK_SECONDS - SEND_SECONDS, abs=1e-3)


def ticks(pace: Pace, count: int, draw: float, away: float) -> float:
    """Run `count` ticks that draw for `draw` s and train again `away` s after training (their drawing, the
    browser's turn and the wait for the timer); the last budget."""
    clock = 0.0
    for _ in range(count):
        pace.note_training_start(clock)
        budget = pace.budget()
        clock += budget
        pace.note_training_end(clock)
        pace.note_draw(draw)
        clock += away
    return budget


def test_a_slow_page_still_trains_a_third_of_the_time():
    slow = Pace()
    budget = ticks(slow, 50, draw=0.6, away=1.2)  # drawing fills the tick; the browser takes as long again
    assert budget == pytest.approx(1.2 * MIN_TRAINING_SHARE / (1 - MIN_TRAINING_SHARE), rel=1e-3)
    assert budget / (budget + 1.2) == pytest.approx(MIN_TRAINING_SHARE, rel=1e-3)  # not MIN_BUDGET's 4%
    fast = Pace()
    assert ticks(fast, 50, draw=0.1, away=0.1) == pytest.approx(TICK_SECONDS - SEND_SECONDS - 0.1, rel=1e-3)
    assert ticks(Pace(), 50, draw=0.6, away=3.0) == pytest.approx(MAX_BUDGET)  # a click still gets an answer within a second


def test_a_pause_is_not_time_away_from_training():
    pace = Pace()
    ticks(pace, 50, draw=0.1, away=0.1)
    budget = pace.budget()
    pace.note_training_end(None)  # the Pause click's rerun draws and does not train
    pace.note_training_start(3600.0)  # an hour later, Train again
    assert pace.budget() == pytest.approx(budget)


def test_a_throttled_timer_counts_no_more_than_the_longest_budget_needs():
    pace = Pace()
    ticks(pace, 50, draw=0.1, away=0.1)
    pace.note_training_start(pace.trained_at + 600.0)  # a hidden tab: its browser fires the timer once a minute or less
    assert pace.away_seconds <= MAX_BUDGET * AWAY_PER_TRAINING
    assert ticks(pace, 4, draw=0.1, away=0.1) < MAX_BUDGET  # back in view, the pace recovers within a few ticks


def test_the_server_skips_streamlits_full_collection_after_every_run():
    """SEND_SECONDS is small only because Streamlit's gc.collect() after every fragment run (about 0.1 s
    with torch models in memory) is off; the server reads this file."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
    assert SEND_SECONDS < 0.1
