"""How live areas share the server: one session computes at a time, in arrival order, and each tick
trains only as long as leaves time to redraw twice a second.

Why one at a time: every session's script runs in a thread of one Python process. A training step is
dozens of small torch operations, each of which drops the GIL and must win it back; while another
session draws its charts (pure Python), every such hand-back waits for the interpreter's switch
interval, and training slows a hundredfold (benchmarks/load_test.py). Taking turns avoids that: a
session trains and draws alone, then hands the turn to the next waiting session.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import streamlit as st

from ui.state import remembered

TICK_SECONDS = 0.5  # how often a live area asks to redraw while it trains (by default)
# What Streamlit needs of each tick besides our drawing (its bookkeeping and sending); training and drawing
# get the rest. It was 0.18 s while Streamlit ran a full gc.collect() after every fragment run (off in
# .streamlit/config.toml; benchmarks/load_test.py measures the refresh rate this keeps).
SEND_SECONDS = 0.03
MIN_BUDGET = 0.05  # seconds of training per tick, however slow the drawing
MAX_BUDGET = 0.9  # ... and at most, so that a click is answered within about a second
DRAW_SMOOTHING = 0.3  # weight of the latest drawing time in its running average


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
    """A live area's running estimate of how long it takes to draw, and so how long it may train."""
    draw_seconds: float = 0.15

    def budget(self, tick_seconds: float = TICK_SECONDS) -> float:
        """Seconds of training that leave time to draw and send the charts within the tick."""
        return min(MAX_BUDGET, max(MIN_BUDGET, tick_seconds - SEND_SECONDS - self.draw_seconds))

    def note_draw(self, seconds: float) -> None:
        self.draw_seconds += DRAW_SMOOTHING * (seconds - self.draw_seconds)


def paced_fragment(state_key: str, train: Callable[[Any, float], None], draw: Callable[[Any], None],
                   tick_seconds: float = TICK_SECONDS) -> None:
    """Draw the live object in st.session_state[state_key]; while its `running` is set, rerun every
    `tick_seconds` and first train it for the paced budget (`train(current, seconds)`), all in the server's turn.
    """

    def body() -> None:
        current = st.session_state[state_key]
        pace: Pace = remembered(f"{state_key}_pace", Pace)
        with SERVER_TURNS.turn():
            if current.running:
                train(current, pace.budget(tick_seconds))
            start = time.perf_counter()
            draw(current)
            pace.note_draw(time.perf_counter() - start)

    body.__qualname__ = f"paced_fragment[{state_key}]"  # Streamlit names a fragment after its function
    st.fragment(run_every=tick_seconds if st.session_state[state_key].running else None)(body)()
