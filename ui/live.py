"""Live training of one network on a page: a Trainer in st.session_state, advanced in short, time-boxed chunks.

The page builds a model config and a train config from its widgets and calls `live_run`; what
defines the network (architecture, init, seed, data) rebuilds it, with a notice saying so, while
the learning rate, batch size and statistics cadence change in place. The run is a
ui.runnable.Runnable: the control row and the live area drive it. Nothing trains in a module
global or a thread. A run is kept in the store when it stops and every AUTOSAVE_SECONDS while it
trains; after a reload the page continues it where it was kept (ui.resume).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import streamlit as st

from makemore.models import config_to_dict
from makemore.training import TrainConfig, Trainer, build_trainer
from ui import resume, runs
from ui.runnable import Runnable
from ui.setting_names import setting_name, shown_value
from ui.sharing import shown_rate
from ui.sidebar import SharedSettings
from ui.store import autosave_due

EVAL_EVERY = 1000  # steps between dev-loss points
EVAL_EXAMPLES = 4096  # dev examples behind each live point (the whole split takes ~5x longer)


@dataclass
class LiveRun(Runnable):
    """One network trained live: the Trainer and what the session keeps of it."""
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
    rate: float = float("nan")  # steps/s of the last chunk's own training (a tick's turn, a Step button's steps)
    pinned: list = field(default_factory=list)
    state_key: str = ""  # where the page keeps it in st.session_state (kept with it, to continue it after a reload)
    saved_at: float | None = None  # time.monotonic() of its last autosave

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def done(self) -> bool:
        return self.trainer.done

    @property
    def status(self) -> str:
        t = self.trainer
        return f"diverged at step {t.diverged_at:,}" if t.diverged else super().status

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` (or max_steps), evaluating dev every EVAL_EVERY steps."""
        trainer = self.trainer
        start = time.perf_counter()
        if self.running and trainer.step and not trainer.diverged and autosave_due(self.saved_at, time.monotonic()):
            archive(self, evaluate=False)  # the tick trains for what is left of its budget
            self.saved_at = time.monotonic()
            seconds -= time.perf_counter() - start
            start = time.perf_counter()
        done = trainer.advance_for(max(seconds, 0.0), max_steps)
        spent = time.perf_counter() - start
        if done:
            self.rate = done / spent if spent > 0 else float("nan")
        if trainer.step - max(self.last_eval_step, 0) >= EVAL_EVERY or (
                trainer.done and self.last_eval_step != trainer.step):
            if not trainer.diverged and "dev" in trainer.data.splits:
                with runs.keeping_layer_outputs(trainer.model):
                    trainer.record_eval(("dev",), EVAL_EXAMPLES)
                self.last_eval_step = trainer.step
        if trainer.done and self.running:
            self.stop()
        return done

    def stop(self) -> None:
        self.running = False
        archive(self)

    def reset(self) -> LiveRun:
        """The same configuration from a fresh initialization (this run kept in the session's runs)."""
        archive(self)
        t = self.trainer
        trainer = build_trainer(t.model.config, replace(t.config, lr=t.base_lr), t.data, self.seed, t.device)
        return replace(self, trainer=trainer, run_id=runs.new_run_id(), running=False, notice="",
                       last_eval_step=-1, rate=float("nan"), saved_at=None)


def identity_of(model_config, settings: SharedSettings) -> dict:
    return {**config_to_dict(model_config), "seed": settings.seed, "data": settings.data_key,
            "device": settings.device}


def describe_change(old: dict, new: dict) -> str:
    """'hidden layers 5 → 3, BatchNorm on → off': what differs between two identities, for the notice (another
    kind of network: only that)."""
    if old.get("family") != new.get("family"):
        kinds = (shown_value("family", old.get("family")), shown_value("family", new["family"]))
        return f"{setting_name('family')} {kinds[0]} → {kinds[1]}"
    parts = []
    for key in new:
        if old.get(key) != new[key] and key != "family":
            if key == "data":
                parts.append("word list changed")
            else:
                parts.append(f"{setting_name(key)} {shown_value(key, old.get(key))} → {shown_value(key, new[key])}")
    return ", ".join(parts)


def live_run(state_key: str, model_config, train_config: TrainConfig, settings: SharedSettings, label: str,
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
        pinned = run.pinned if run is not None else resume.kept_pins(state_key)
        run = continued(state_key, identity, train_config, settings, pinned) or LiveRun(
            build_trainer(model_config, train_config, settings.data, settings.seed, settings.device), identity,
            runs.new_run_id(), label, page, settings.data_label, settings.seed, sample_seed, notice=notice,
            pinned=pinned, state_key=state_key)
        st.session_state[state_key] = run
    apply_live_settings(run.trainer, train_config)
    return run


def continued(state_key: str, identity: dict, train_config: TrainConfig, settings: SharedSettings,
              pinned: list) -> LiveRun | None:
    """The page's last run kept in the store, continued where it was kept, if the controls build its network."""
    kept = resume.take(state_key, identity, st.session_state.setdefault(resume.DECIDED, set()))
    if kept is None:
        return None
    rec, kept_settings, frames = kept
    try:
        trainer = resume.resumed_trainer(rec, kept_settings, frames, train_config, settings.data, settings.device)
    except ValueError as err:
        st.warning(f"“{rec.label}” could not be continued ({err}): a new network was initialized; the run is still "
                   "on the Compare and Generate pages.", icon=":material/restart_alt:")
        return None
    notice = f"Continued from step {rec.steps:,}, where this run was last kept: press Train to go on."
    if train_config.optimizer != "sgd":
        notice += " AdamW's running averages of the gradients start again from zero."
    last_eval = max((e["step"] for e in trainer.evals), default=-1)
    return LiveRun(trainer, identity, rec.run_id, rec.label, rec.page, rec.data_label, rec.seed, rec.sample_seed,
                   notice=notice, last_eval_step=last_eval, pinned=pinned, state_key=state_key)


def apply_live_settings(trainer: Trainer, config: TrainConfig) -> None:
    """What may change while a run trains: lr (recorded on the chart), batch size, cadence, schedule."""
    trainer.set_lr(config.lr)
    trainer.config = replace(trainer.config, batch_size=config.batch_size, stats_every=config.stats_every,
                             steps=config.steps, lr_decay_at=config.lr_decay_at)


def archive(run: LiveRun, evaluate: bool = True) -> None:
    """Keep a run that trained in the session's registry (for Generate and Compare) and in the store, with what
    continues it after a reload (a kept run of the page that was not continued is replaced by it there)."""
    if run.trainer.step > 0:
        settings, frames = resume.extras(run.state_key, run.identity, run.trainer, run.pinned)
        runs.record(run.trainer, run.run_id, run.label, run.page, run.data_label, run.seed, run.sample_seed, evaluate,
                    settings, frames)
        st.session_state.setdefault(resume.DECIDED, set()).add(run.state_key)


def status_line(run: LiveRun) -> None:
    """Step, steps/s, learning rate and status, and while it trains how many sessions share the server (ui/sharing);
    plus the divergence message with a hint. The steps/s are by the wall clock after training ticks (what the
    network gets, its turns shared with drawing and other sessions); after a Step button, that chunk's."""
    t = run.trainer
    rate, load = shown_rate(run, run.rate)
    last = t.loss_history.last()
    loss = f"{last.item():.4f}" if last is not None else "–"
    st.markdown(f"**Step {t.step:,}** · {rate} · loss {loss} · lr {t.lr_at(t.step):.3g} · *{run.status}*{load}")
    if t.diverged:
        st.error(f"Diverged at step {t.diverged_at:,}: {t.diverged_reason}. The charts show the last healthy "
                 "statistics. Lower the learning rate (try lr = 10^-1), turn BatchNorm on or lower the gain, "
                 "then press Reset.", icon=":material/error:")
