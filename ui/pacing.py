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
from typing import Callable, Iterator

import streamlit as st

from ui.state import remembered

TICK_SECONDS = 0.5  # how often a live area asks to redraw while it trains
RUN_SECONDS = 0.32  # a tick's training plus drawing; Streamlit needs the rest (~0.18 s) to send the charts
MIN_BUDGET, MAX_BUDGET = 0.05, 0.4  # seconds of training per tick
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

    def budget(self) -> float:
        return min(MAX_BUDGET, max(MIN_BUDGET, RUN_SECONDS - self.draw_seconds))

    def note_draw(self, seconds: float) -> None:
        self.draw_seconds += DRAW_SMOOTHING * (seconds - self.draw_seconds)


def paced_tick(pace_key: str, train: Callable[[float], None] | None, draw: Callable[[], None]) -> None:
    """One run of a live area: train for the paced budget (if training), then draw, in the server's turn."""
    pace: Pace = remembered(pace_key, Pace)
    with SERVER_TURNS.turn():
        if train is not None:
            train(pace.budget())
        start = time.perf_counter()
        draw()
        pace.note_draw(time.perf_counter() - start)


def live_fragment(running: bool, body: Callable[[], None]) -> None:
    """Run `body` in a fragment that reruns every TICK_SECONDS while `running`."""
    st.fragment(run_every=TICK_SECONDS if running else None)(body)()
