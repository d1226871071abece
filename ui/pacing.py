"""How live areas share the server: one session computes at a time, in arrival order, and each tick
trains only as long as leaves time to redraw twice a second.

Why one at a time: every session's script runs in a thread of one Python process. A training step is
dozens of small torch operations, each of which drops the GIL and must win it back; while another
session draws its charts (pure Python), every such hand-back waits for the interpreter's switch
interval, and training slows a hundredfold (benchmarks/load_test.py). Taking turns avoids that: a
session trains and draws alone, then hands the turn to the next waiting session.

Why a floor on training: on a slow or busy machine the drawing (and the browser's rendering, which
delays its next request) can fill the whole tick; what is left of it would then train 0.05 s between
redraws that come every second or two. So a tick also trains for at least a third of the time the
session spends away from training (drawing, sending, the browser's turn): slower redraws, but the
network keeps learning.

Each training tick is also noted for the status line (ui/sharing.py): how many sessions share the server, and
what this area gets of it by the wall clock.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import streamlit as st

from ui.closed_tabs import CLOSED_TABS
from ui.sharing import note_tick
from ui.state import remembered

if TYPE_CHECKING:
    from ui.runnable import Runnable

TICK_SECONDS = 0.5  # how often a live area asks to redraw while it trains (by default)
# What Streamlit needs of each tick besides our drawing (its bookkeeping and sending); training and drawing
# get the rest. It was 0.18 s while Streamlit ran a full gc.collect() after every fragment run (off in
# .streamlit/config.toml; benchmarks/load_test.py measures the refresh rate this keeps).
SEND_SECONDS = 0.03
MIN_BUDGET = 0.05  # seconds of training per tick, however slow the drawing
MAX_BUDGET = 0.9  # ... and at most, so that a click is answered within about a second
MIN_TRAINING_SHARE = 1 / 3  # of the wall clock, however long the page takes away from training
AWAY_PER_TRAINING = (1 - MIN_TRAINING_SHARE) / MIN_TRAINING_SHARE  # seconds away per second of training, at most
SMOOTHING = 0.3  # weight of the latest measurement in the running averages


class FairTurns:
    """A lock granted in arrival order (threading.Lock promises no order, so a session could starve)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._held = False

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._mutex:
            ticket = None
            if self._held:
                ticket = threading.Event()
                self._waiting.append(ticket)
            self._held = True
        if ticket is not None:
            ticket.wait()  # the previous holder hands the turn over directly
        try:
            yield
        finally:
            with self._mutex:
                if self._waiting:
                    self._waiting.popleft().set()
                else:
                    self._held = False


SERVER_TURNS = FairTurns()  # synchronisation only: it holds no session's data


@dataclass
class Pace:
    """A live area's running estimates of how long it takes to draw and how long it is away from training
    between ticks, and so how long a tick may train."""
    draw_seconds: float = 0.15
    away_seconds: float = 0.0  # from the end of one tick's training to the start of the next one's (drawing included)
    trained_at: float | None = None  # when the last tick's training ended (None: it did not train)

    def budget(self, tick_seconds: float = TICK_SECONDS) -> float:
        """Seconds of training that leave time to draw and send the charts within the tick, and at least
        MIN_TRAINING_SHARE of the wall clock."""
        fits_the_tick = tick_seconds - SEND_SECONDS - self.draw_seconds
        return min(MAX_BUDGET, max(MIN_BUDGET, fits_the_tick, self.away_seconds / AWAY_PER_TRAINING))

    def note_draw(self, seconds: float) -> None:
        self.draw_seconds += SMOOTHING * (seconds - self.draw_seconds)

    def note_training_start(self, now: float) -> None:
        """A tick starts training (after its turn came and it drew): how long since the last one's training ended."""
        if self.trained_at is not None:  # a hidden tab's throttled timer counts no more than MAX_BUDGET needs
            away = min(now - self.trained_at, MAX_BUDGET * AWAY_PER_TRAINING)
            self.away_seconds += SMOOTHING * (away - self.away_seconds)

    def note_training_end(self, now: float | None) -> None:
        """This tick's training ended at `now`; None when it did not train (a pause is not time away)."""
        self.trained_at = now


def paced_fragment(state_key: str, train: Callable[[Runnable, float], None], draw: Callable[[Runnable], None],
                   tick_seconds: float = TICK_SECONDS) -> None:
    """Draw the live object (a ui.runnable.Runnable) in st.session_state[state_key]; while it runs, rerun every
    `tick_seconds`, redraw it and then train it for the paced budget (`train(current, seconds)`), all in the
    server's turn.

    Why the drawing is a fragment of its own, inside the ticking one: while a run of a fragment is under way,
    the browser marks every element that fragment drew as stale until the run sends it again, and after half
    a second greys it out ("stale" styling). A tick that trained first and drew after kept the whole area
    marked through the training and greyed out its last charts at nearly every tick. The browser marks only
    the elements of the fragments being rerun, by the id of the fragment that drew them (Streamlit 1.67's
    frontend), and the timer reruns the outer fragment: elements drawn by the inner one are never marked
    while the area trains, however long drawing and training take, and an element the inner fragment no
    longer draws is still removed at the end of the run. Drawing first also sends everything before training,
    so that a full rerun (a click) keeps nothing waiting on it. Each redraw shows the network as the previous
    tick left it. tests/test_live_crisp.py checks this in a browser on every live page.
    """
    pace_key = f"{state_key}_pace"

    def drawing() -> None:  # also rerun alone when a widget inside it changes (no training then)
        start = time.perf_counter()
        draw(st.session_state[state_key])
        remembered(pace_key, Pace).note_draw(time.perf_counter() - start)

    def ticking() -> None:
        current = st.session_state[state_key]
        pace: Pace = remembered(pace_key, Pace)
        with SERVER_TURNS.turn():
            st.fragment(drawing)()
            if current.running:
                start = time.perf_counter()
                pace.note_training_start(start)
                train(current, pace.budget(tick_seconds))
                end = time.perf_counter()
                note_tick(current, end - start, end, follows_training=pace.trained_at is not None)
            pace.note_training_end(time.perf_counter() if current.running else None)
            CLOSED_TABS.close_gone()  # the runs of tabs that are gone leave the server's memory

    # Streamlit names a fragment after its function (and where it is drawn)
    drawing.__qualname__ = f"paced_fragment[{state_key}].drawing"
    ticking.__qualname__ = f"paced_fragment[{state_key}]"
    st.fragment(run_every=tick_seconds if st.session_state[state_key].running else None)(ticking)()
