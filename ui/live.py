"""Live training on a page: a run in st.session_state advanced in short, time-boxed chunks.

The page builds a model config and a train config from its widgets and calls `live_run`; what
defines the network (architecture, init, seed, data) rebuilds it, with a notice saying so, while
the learning rate, batch size and statistics cadence change in place. `live_area` draws the
charts inside an `st.fragment(run_every=...)` that trains a chunk before each redraw; pausing
renders it with run_every=None. Nothing trains in a module global or a thread.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import streamlit as st

from makemore.models import config_to_dict
from makemore.training import TrainConfig, Trainer, build_trainer
from ui import runs
from ui.pacing import TICK_SECONDS, paced_fragment, sharing_note
from ui.presentation import button_row
from ui.settings import Settings

EVAL_EVERY = 1000  # steps between dev-loss points
EVAL_EXAMPLES = 4096  # dev examples behind each live point (the whole split takes ~5x longer)


@dataclass
class LiveRun:
    trainer: Trainer
    identity: dict  # what built the network: config, seed, data; a change means a new network
    run_id: str
    label: str
    page: str
    data_label: str
    seed: int
    sample_seed: int
    running: bool = False
    notice: str = ""
    last_eval_step: int = -1
    rate: float = float("nan")  # steps/s over the last tick
    pinned: list = field(default_factory=list)

    @property
    def status(self) -> str:
        t = self.trainer
        if t.diverged:
            return f"diverged at step {t.diverged_at:,}"
        if t.step >= t.config.steps:
            return "finished"
        return "training" if self.running else ("paused" if t.step else "ready")


def identity_of(model_config, settings: Settings) -> dict:
    return {**config_to_dict(model_config), "seed": settings.seed, "data": settings.data_key,
            "device": settings.device}


def describe_change(old: dict, new: dict) -> str:
    """'depth 5 → 3, BatchNorm on → off': what differs between two identities, for the notice."""
    names = {"n_layers": "depth", "n_hidden": "width", "batchnorm": "BatchNorm", "output_scale": "output scale",
             "data": "word list", "scale_by_fan_in": "1/√fan_in scaling", "n_embd": "embedding size",
             "block_size": "context", "groups": "levels", "bn_dim0_bug": "BatchNorm bug", "w1_gain": "W1 gain",
             "n_head": "heads", "n_layer": "layers"}
    parts = []
    for key in new:
        if old.get(key) != new[key] and key != "family":
            before, after = old.get(key), new[key]
            if key == "data":
                parts.append("word list changed")
            elif isinstance(after, bool):
                parts.append(f"{names.get(key, key)} {'on' if before else 'off'} → {'on' if after else 'off'}")
            else:
                parts.append(f"{names.get(key, key)} {_fmt(before)} → {_fmt(after)}")
    return ", ".join(parts)


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def live_run(state_key: str, model_config, train_config: TrainConfig, settings: Settings, label: str,
             page: str, sample_seed: int) -> LiveRun:
    """This page's run: built on first use, rebuilt (with a notice) when the network's definition
    changes, otherwise updated in place (learning rate, batch size, statistics cadence)."""
    identity = identity_of(model_config, settings)
    run: LiveRun | None = st.session_state.get(state_key)
    if run is None or run.identity != identity:
        notice = ""
        if run is not None:
            archive(run)
            change = describe_change(run.identity, identity)
            notice = f"{change}: a new network was initialized." if change else ""
        trainer = build_trainer(model_config, train_config, settings.data, settings.seed, settings.device)
        run = LiveRun(trainer, identity, runs.new_run_id(), label, page, settings.data_label, settings.seed,
                      sample_seed, notice=notice, pinned=run.pinned if run is not None else [])
        st.session_state[state_key] = run
    else:
        apply_live_settings(run.trainer, train_config)
    return run


def apply_live_settings(trainer: Trainer, config: TrainConfig) -> None:
    """What may change while a run trains: lr (recorded on the chart), batch size, cadence, schedule."""
    trainer.set_lr(config.lr)
    trainer.config = replace(trainer.config, batch_size=config.batch_size, stats_every=config.stats_every,
                             steps=config.steps, lr_decay_at=config.lr_decay_at)


def reset(state_key: str) -> None:
    """Start the same configuration again from a fresh initialization."""
    run: LiveRun = st.session_state[state_key]
    archive(run)
    t = run.trainer
    trainer = build_trainer(t.model.config, replace(t.config, lr=t.base_lr), t.data, run.seed, t.device)
    st.session_state[state_key] = replace(run, trainer=trainer, run_id=runs.new_run_id(), running=False,
                                          notice="", last_eval_step=-1, rate=float("nan"))


def archive(run: LiveRun) -> None:
    """Keep a run that trained in the session's registry (for Generate and Compare)."""
    if run.trainer.step > 0:
        runs.record(run.trainer, run.run_id, run.label, run.page, run.data_label, run.seed, run.sample_seed)


def tick(run: LiveRun, budget: float, max_steps: int | None = None) -> int:
    """Train for about `budget` seconds (or max_steps), evaluating dev every EVAL_EVERY steps.

    This is the live area's chunk function; it stops the run when it finishes or diverges.
    """
    trainer = run.trainer
    start = time.perf_counter()
    done = trainer.advance_for(budget, max_steps)
    spent = time.perf_counter() - start
    if done:
        run.rate = done / spent if spent > 0 else float("nan")
    if trainer.step - max(run.last_eval_step, 0) >= EVAL_EVERY or (trainer.done and run.last_eval_step != trainer.step):
        if not trainer.diverged and "dev" in trainer.data.splits:
            with runs.keeping_layer_outputs(trainer.model):
                trainer.record_eval(("dev",), EVAL_EXAMPLES)
            run.last_eval_step = trainer.step
    if trainer.done and run.running:
        run.running = False
        archive(run)
    return done


def step_now(run: LiveRun, n: int) -> None:
    """The Step buttons: n steps right away (with a spinner for long ones)."""
    with st.spinner(f"Training {n:,} steps…"):
        tick(run, budget=float("inf"), max_steps=n)
    archive(run)


def live_area(state_key: str, draw: Callable[[LiveRun], None], tick_seconds: float = TICK_SECONDS) -> None:
    """Draw the run; while it trains, train a paced chunk and redraw every tick (see ui.pacing)."""

    def train(current: LiveRun, budget: float) -> None:
        tick(current, budget)
        if not current.running:  # finished or diverged: a full rerun updates the buttons
            st.rerun()

    paced_fragment(state_key, train, draw, tick_seconds)


def control_buttons(state_key: str, prefix: str) -> None:
    """Train / Pause, Step 1 / 100 / 1000 and Reset."""
    run: LiveRun = st.session_state[state_key]
    row = button_row()
    if run.running:
        if row.button("Pause", key=f"{prefix}_pause", type="primary", icon=":material/pause:"):
            run.running = False
            archive(run)
            st.rerun()
    elif row.button("Train", key=f"{prefix}_train", type="primary", icon=":material/play_arrow:",
                    disabled=run.trainer.done, help="Train continuously; charts update as it learns."):
        run.running, run.notice = True, ""
        st.rerun()
    for n in (1, 100, 1000):
        if row.button(f"Step {n:,}", key=f"{prefix}_step{n}", disabled=run.trainer.done,
                      help=f"Train exactly {n:,} step{'s' if n > 1 else ''} and stop."):
            run.running = False
            step_now(run, n)
    if row.button("Reset", key=f"{prefix}_reset", icon=":material/restart_alt:",
                  help="A fresh initialization with the same settings (the old run is kept for Compare)."):
        reset(state_key)
        st.rerun()


def status_line(run: LiveRun) -> None:
    """Step, steps/s, learning rate and status, plus the divergence message with a hint."""
    t = run.trainer
    rate = f"{run.rate:,.0f} steps/s" if run.rate == run.rate else "–"
    last = t.loss_history.last()
    loss = f"{last.item():.4f}" if last is not None else "–"
    sharing = f" · {note}" if run.running and (note := sharing_note()) else ""
    st.markdown(f"**Step {t.step:,}** · {rate} · loss {loss} · lr {t.lr_at(t.step):.3g} · *{run.status}*{sharing}")
    if t.diverged:
        st.error(f"Diverged at step {t.diverged_at:,}: {t.diverged_reason}. The charts show the last healthy "
                 "statistics. Lower the learning rate (try lr = 10^-1), turn BatchNorm on or lower the gain, "
                 "then press Reset.", icon=":material/error:")
