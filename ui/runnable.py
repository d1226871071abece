"""Anything that trains on a page (a trainer, a sweep, the backprop twins): one protocol, one control row, one
live area.

The page keeps the object in st.session_state. The row's Train starts it; `live_area` then trains it a paced
chunk before every redraw (ui.pacing) until it is paused or finishes. Step N does the same toward a target
step and stops there: one click never trains outside the server's turns, however large N or the network, and
it can be paused, and stops with the session. Reset puts a fresh object of the same setup in its place.
Whether it runs is the ui's flag (`running`), not the model's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import streamlit as st

from ui.pacing import TICK_SECONDS, paced_fragment
from ui.presentation import button_row
from ui.presenter import fitted, on_stage


class Runnable(Protocol):
    """What a live area keeps in session state and the control row drives."""
    running: bool  # the ui's flag: while set, the live area trains a chunk before each redraw
    notice: str  # said above the buttons (e.g. why a new network was built); Train clears it
    target: int | None = None  # a Step button's: the live area stops at this step (None: Train, to the end)

    @property
    def step(self) -> int: ...

    @property
    def done(self) -> bool:
        """Nothing left to train: Train and Step are disabled."""

    def start(self) -> None:
        """Train was pressed: run from now on (building first what it trains, where it must)."""
        self.running, self.notice = True, ""

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` (or max_steps); stop() when it finishes. Returns the steps taken."""

    def stop(self) -> None:
        """Run no more (paused, stepped or finished), keeping what it learned where the session keeps runs."""

    def reset(self) -> Runnable:
        """A fresh object of the same setup, to take this one's place (this one stopped and kept)."""

    @property
    def reached(self) -> bool:
        """A Step's target is reached (or the object finished) while it runs: the next full run stops it."""
        return self.running and (self.done or self.target is not None and self.step >= self.target)

    @property
    def status(self) -> str:
        if self.done:
            return "finished"
        if self.running:
            return "training" if self.target is None else f"training to step {self.target:,}"
        return "paused" if self.step else "ready"


@dataclass(frozen=True)
class Buttons:
    """The control row's labels and tooltips, for what it drives."""
    train: str = "Train"
    train_help: str = "Train continuously; charts update as it learns."
    steps: tuple[int, ...] = (1, 100, 1000)  # a Step button each
    step_help: str = "Train exactly {n:,} step{s} and stop."
    reset_help: str = "A fresh initialization with the same settings (the old run is kept for Compare)."


def control_row(state_key: str, prefix: str, buttons: Buttons = Buttons()) -> None:
    """The notice, then Train / Pause, the Step buttons and Reset for the object in st.session_state[state_key]."""
    current: Runnable = st.session_state[state_key]
    if current.reached:  # stopped here, in a full run, out of the server's turns: keeping a run measures its
        current.target = None  # splits, which takes minutes for the largest network the controls allow
        current.stop()
    if current.notice:
        with on_stage("notes"):
            st.info(current.notice, icon=":material/autorenew:")
    row = button_row()
    if current.running:
        if row.button("Pause", key=f"{prefix}_pause", type="primary", icon=":material/pause:"):
            current.target = None
            current.stop()
            st.rerun()
    elif row.button(buttons.train, key=f"{prefix}_train", type="primary", icon=":material/play_arrow:",
                    disabled=current.done, help=buttons.train_help):
        current.target = None
        current.start()
        st.rerun()
    for n in buttons.steps:
        if row.button(f"Step {n:,}", key=f"{prefix}_step{n}", disabled=current.done,
                      help=buttons.step_help.format(n=n, s="s" if n > 1 else "")):
            if not current.running:
                notice = current.notice
                current.start()
                current.notice = notice  # a Step is not Train: what the notice says (a run continued) still holds
            current.target = current.step + n
            st.rerun()
    if row.button("Reset", key=f"{prefix}_reset", icon=":material/restart_alt:", help=buttons.reset_help):
        st.session_state[state_key] = current.reset()
        st.rerun()


def live_section(state_key: str, prefix: str, draw: Callable, buttons: Buttons = Buttons(),
                 share: Callable[[str, str], None] | None = None) -> None:
    """The control row (and `share(state_key, prefix)`'s button after it), then the live area, of the object in
    st.session_state[state_key]: in presenter mode on the dashboard at the top of the page (ui.presenter)."""
    with on_stage("controls"):
        control_row(state_key, prefix, buttons)
        if share is not None:
            share(state_key, prefix)
    with on_stage("charts"):
        live_area(state_key, draw)


def live_area(state_key: str, draw: Callable, tick_seconds: float = TICK_SECONDS) -> None:
    """Draw the object; while it runs, train a paced chunk before every redraw (see ui.pacing)."""

    def train(current: Runnable, budget: float) -> None:
        train_tick(current, budget)
        if not current.running or current.reached:  # a full rerun stops it (see control_row), updates the buttons
            st.rerun()

    paced_fragment(state_key, train, fitted(draw), tick_seconds)


def train_tick(current: Runnable, budget: float) -> None:
    """One tick's training: `budget` seconds, no further than a Step's target."""
    if not current.reached:
        current.train_for(budget, None if current.target is None else current.target - current.step)
    if not current.running:
        current.target = None
