"""What sharing the server does to a live area, measured by its training ticks (ui/pacing.py) and said on its
status line (ui/live.py): how many sessions train on this server (this process: one replica of a class server),
how often this area is redrawn, the steps/s its network gets by the wall clock, and the share of the time it
trains. The rate of a tick's own training is not what a student gets: with four students on a server a tick
trained 1,272 steps/s while each network advanced about 250 steps/s.
"""
from __future__ import annotations

import secrets
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from ui.state import remembered

if TYPE_CHECKING:
    from ui.runnable import Runnable

RECENT_SECONDS = 10.0  # a session that trained within this long (or two redraws of the asking one) shares the server
SMOOTHING = 0.3  # weight of the latest tick in the running averages
LAST_KEY = "sharing_last"  # session state: the Sharing of the live area that trained last in this session
TOKEN_KEY = "sharing_token"  # session state: this session's opaque name in SERVER_SESSIONS


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


def smoothed(last: float | None, value: float) -> float:
    return value if last is None else last + SMOOTHING * (value - last)


@dataclass
class Sharing:
    """What a live area's last training tick found. The interval-based figures are None until two ticks in a row
    trained (a pause in between is not an interval)."""
    runnable: weakref.ref  # the object it measured (a Reset or a new network is another one)
    step: int  # its step when the tick's training ended
    ended_at: float  # perf_counter then
    sessions: int  # sessions that trained on this server recently, this one included
    redraw_seconds: float | None = None  # between this area's training ticks, smoothed
    steps_per_s: float | None = None  # by the wall clock, smoothed
    train_share: float | None = None  # of the wall clock, spent training this network, smoothed

    def after(self, runnable: Runnable, trained_seconds: float, ended_at: float, sessions: int) -> Sharing:
        """The next tick's figures: it trained `trained_seconds` until `ended_at`, right after this one."""
        interval = ended_at - self.ended_at
        return Sharing(weakref.ref(runnable), runnable.step, ended_at, sessions,
                       smoothed(self.redraw_seconds, interval),
                       smoothed(self.steps_per_s, (runnable.step - self.step) / interval),
                       smoothed(self.train_share, min(1.0, trained_seconds / interval)))


def note_tick(runnable: Runnable, trained_seconds: float, ended_at: float, follows_training: bool) -> None:
    """A live area's tick trained `runnable` for `trained_seconds` until `ended_at` (perf_counter);
    `follows_training`: its tick before trained too."""
    last: Sharing | None = st.session_state.get(LAST_KEY)
    window = max(RECENT_SECONDS, 2 * (last.redraw_seconds or 0.0) if last else 0.0)  # a crowded server redraws
    sessions = SERVER_SESSIONS.note(remembered(TOKEN_KEY, lambda: secrets.token_hex(8)), ended_at, window)
    if last is not None and follows_training and last.runnable() is runnable and ended_at > last.ended_at:
        st.session_state[LAST_KEY] = last.after(runnable, trained_seconds, ended_at, sessions)
    else:
        st.session_state[LAST_KEY] = Sharing(weakref.ref(runnable), runnable.step, ended_at, sessions)


def measured(runnable: Runnable) -> Sharing | None:
    """The figures of `runnable` as it is now (None when it is not what the session's last tick trained, or it
    trained since, by a Step button)."""
    last: Sharing | None = st.session_state.get(LAST_KEY)
    if last is None or last.runnable() is not runnable or last.step != runnable.step:
        return None
    return last


def sharing_note(sharing: Sharing) -> str:
    """'alone on this server: redraws every ~0.5 s', or '3 sessions share this server: trains 31% of the time,
    redraws every ~1.4 s' (the share said only where others take turns too)."""
    parts = []
    if sharing.sessions > 1 and sharing.train_share is not None:
        parts.append(f"trains {sharing.train_share:.0%} of the time")
    if sharing.redraw_seconds is not None:
        parts.append(f"redraws every ~{sharing.redraw_seconds:.1f} s")
    who = "alone on this server" if sharing.sessions == 1 else f"{sharing.sessions} sessions share this server"
    return who + (": " + ", ".join(parts) if parts else "")


def shown_rate(runnable: Runnable, own_rate: float | None) -> tuple[str, str]:
    """What a status line says of speed: the steps/s by the wall clock once two ticks in a row trained (`own_rate`,
    the last chunk's own training rate, before that and after a Step button), '–' where neither is known; and while
    it trains, ' · ' and the sharing note."""
    sharing = measured(runnable)
    steps_per_s = own_rate if sharing is None else sharing.steps_per_s
    rate = f"{steps_per_s:,.0f} steps/s" if steps_per_s is not None and steps_per_s == steps_per_s else "–"
    return rate, f" · {sharing_note(sharing)}" if runnable.running and sharing else ""
