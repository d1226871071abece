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

What it costs is shown: each tick notes that its session trained, and the status line says how many sessions
trained on this server (this process: one replica of a class server) within the last few redraws, and how often
this one's charts were redrawn.

What a closed tab leaves is freed: its training stops with its browser's timer, and once Streamlit drops its session
(the reconnect window, server.disconnectedSessionTTL, over) a full garbage collection, every COLLECT_SECONDS on a
thread of its own, frees its networks, which sit in reference cycles. Streamlit's collection after every run is off
(.streamlit/config.toml), and Python's own full collection seldom comes in a process holding torch's many long-lived
objects: six classes of three students, one after another on one server, left it at 792 MB without this collection
and at 479 MB with it (483 MB after the first class).
"""
from __future__ import annotations

import contextlib
import gc
import secrets
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
MIN_TRAINING_SHARE = 1 / 3  # of the wall clock, however long the page takes away from training
AWAY_PER_TRAINING = (1 - MIN_TRAINING_SHARE) / MIN_TRAINING_SHARE  # seconds away per second of training, at most
SMOOTHING = 0.3  # weight of the latest measurement in the running averages
RECENT_SECONDS = 10.0  # a session that trained within this long (or two redraws of the asking one) shares the server
LOAD_KEY = "pacing_load"  # session state: the Sharing of the live area that trained last
COLLECT_SECONDS = 60.0  # between full garbage collections (each pauses the server 0.1-0.4 s: rarely, then)


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


class SessionCount:
    """The sessions that trained recently on this server: opaque tokens and times, nothing of theirs."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._trained: dict[str, float] = {}  # token -> when it last trained

    def note(self, token: str, now: float, window: float = RECENT_SECONDS) -> int:
        """Session `token` trained at `now`: how many sessions trained within `window` seconds, it included."""
        with self._mutex:
            self._trained[token] = now
            for other, then in list(self._trained.items()):
                if now - then > window:
                    del self._trained[other]  # a closed tab, a paused run: no longer sharing
            return len(self._trained)


SERVER_SESSIONS = SessionCount()


class Collector:
    """A full garbage collection every `seconds`, on a daemon thread started by the first live area."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._mutex = threading.Lock()
        self._started = False

    def start(self) -> None:
        with self._mutex:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="garbage-collector", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.seconds)
            gc.collect()


SERVER_COLLECTOR = Collector(COLLECT_SECONDS)  # holds no session's data


@dataclass
class Pace:
    """A live area's running estimates of how long it takes to draw and how long it is away from training
    between ticks, and so how long a tick may train."""
    draw_seconds: float = 0.15
    away_seconds: float = 0.0  # from the end of one tick's training to the start of the next tick
    trained_at: float | None = None  # when the last tick's training ended (None: it did not train)

    def budget(self, tick_seconds: float = TICK_SECONDS) -> float:
        """Seconds of training that leave time to draw and send the charts within the tick, and at least
        MIN_TRAINING_SHARE of the wall clock."""
        fits_the_tick = tick_seconds - SEND_SECONDS - self.draw_seconds
        return min(MAX_BUDGET, max(MIN_BUDGET, fits_the_tick, self.away_seconds / AWAY_PER_TRAINING))

    def note_draw(self, seconds: float) -> None:
        self.draw_seconds += SMOOTHING * (seconds - self.draw_seconds)

    def note_tick_start(self, now: float) -> None:
        """A tick begins (before it waits for its turn): how long since the last one's training ended."""
        if self.trained_at is not None:  # a hidden tab's throttled timer counts no more than MAX_BUDGET needs
            away = min(now - self.trained_at, MAX_BUDGET * AWAY_PER_TRAINING)
            self.away_seconds += SMOOTHING * (away - self.away_seconds)

    def note_training_end(self, now: float | None) -> None:
        """This tick's training ended at `now`; None when it did not train (a pause is not time away)."""
        self.trained_at = now


def paced_fragment(state_key: str, train: Callable[[Any, float], None], draw: Callable[[Any], None],
                   tick_seconds: float = TICK_SECONDS) -> None:
    """Draw the live object in st.session_state[state_key]; while its `running` is set, rerun every
    `tick_seconds` and first train it for the paced budget (`train(current, seconds)`), all in the server's turn.
    """

    def body() -> None:
        current = st.session_state[state_key]
        pace: Pace = remembered(f"{state_key}_pace", Pace)
        pace.note_tick_start(time.perf_counter())
        with SERVER_TURNS.turn():
            if current.running:
                train(current, pace.budget(tick_seconds))
                note_sharing(state_key, pace)
            pace.note_training_end(time.perf_counter() if current.running else None)
            start = time.perf_counter()
            draw(current)
            pace.note_draw(time.perf_counter() - start)

    SERVER_COLLECTOR.start()
    body.__qualname__ = f"paced_fragment[{state_key}]"  # Streamlit names a fragment after its function
    st.fragment(run_every=tick_seconds if st.session_state[state_key].running else None)(body)()


@dataclass
class Sharing:
    """What a live area's last training tick found: sessions training on the server, and its redraw interval."""
    sessions: int
    redraw_seconds: float | None  # between this area's training ticks, smoothed; None until two in a row
    noted_at: float


def note_sharing(state_key: str, pace: Pace) -> None:
    """The live area `state_key` trained now: note how many sessions share the server, and how often it redraws."""
    now = time.perf_counter()
    last: Sharing | None = st.session_state.get(f"{state_key}_sharing")
    redraw = None
    if last is not None and pace.trained_at is not None:  # the tick before trained too (not a pause in between)
        interval = now - last.noted_at
        redraw = interval if last.redraw_seconds is None else (
            last.redraw_seconds + SMOOTHING * (interval - last.redraw_seconds))
    token = remembered("pacing_token", lambda: secrets.token_hex(8))
    window = max(RECENT_SECONDS, 2 * (redraw or 0.0))  # a crowded server redraws each session less often
    sharing = Sharing(SERVER_SESSIONS.note(token, now, window), redraw, now)
    st.session_state[f"{state_key}_sharing"] = st.session_state[LOAD_KEY] = sharing


def sharing_note() -> str:
    """'3 sessions share this server: redraws every ~1.4 s', from the session's last training tick ('' before one)."""
    sharing: Sharing | None = st.session_state.get(LOAD_KEY)
    if sharing is None:
        return ""
    who = "alone on this server" if sharing.sessions == 1 else f"{sharing.sessions} sessions share this server"
    return who + (f": redraws every ~{sharing.redraw_seconds:.1f} s" if sharing.redraw_seconds else "")
