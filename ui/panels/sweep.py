"""Sweep: several copies of the deep net, one setting varied, trained side by side.

`sweep_panel(settings)` draws the controls (what varies, its values, BatchNorm, steps), the control row
(Train sweep / Pause / Reset) and, while the sweep trains in time-boxed chunks, its progress, one chart of
every copy's loss and one of their saturation. The sweep lives in st.session_state; widget keys start with
"sweep_".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable

import pandas as pd
import streamlit as st

from makemore.charts.sweep import sweep_loss_chart, sweep_saturation_chart
from makemore.data import WordData
from makemore.models import ConfigError, DeepMLPConfig
from makemore.training import TrainConfig
from makemore.training.sweep import MAX_COPIES, MIN_COPIES, Sweep
from ui.export import export_menu, show_chart
from ui.presentation import side_by_side
from ui.process_tuning import SWEEP_THREADS
from ui.runnable import Buttons, Runnable, control_row, live_area
from ui.sharing import shown_rate
from ui.sidebar import SharedSettings
from ui.text import LONG, cut, md

P = "sweep"  # widget-key prefix
STATE = "sweep_run"
STEP_CHOICES = [500, 1000, 2000, 5000, 10_000, 20_000, 50_000]
DEFAULT_STEPS = 2000
WHAT_VARIES = {  # the setting the copies differ in: (label, default values, help, (lowest, highest) value)
    "gain": ("Gain", "0.5, 1, 5/3, 2, 3",
             "Hidden weights * gain. Without BatchNorm, too small a gain shrinks the activations layer by "
             "layer and too large a gain saturates tanh; 5/3 is Kaiming for tanh. With BatchNorm the gain "
             "hardly matters: that is what BatchNorm is for.", (0.0, 10.0)),
    "lr_exponent": ("Learning rate 10^x", "-3, -2, -1, -0.5, 0",
                    "Each copy trains with lr = 10^x: too small crawls, too large diverges.", (-6.0, 1.0)),
    "output_scale": ("Output scale", "0.01, 0.1, 1",
                     "The last layer's scale at init: large values make a confident, wrong first guess "
                     "(the hockey stick in the loss).", (0.0, 10.0)),
}
MAX_VALUES_CHARS = 200  # of the values box: 16 values fit with room to spare
BUTTONS = Buttons(train="Train sweep", train_help="Train all copies; the charts update as they learn.", steps=(),
                  reset_help="Forget this sweep.")


@dataclass
class SweepRun(Runnable):
    """The panel's sweep as a live object. Its controls may change while a sweep is shown: the shown one stays
    until Train builds one of the controls' setup (`wanted`, `build`)."""
    wanted: dict  # the controls' setup now
    build: Callable[[], Sweep]  # builds a sweep of `wanted`
    sweep: Sweep | None = None
    identity: dict | None = None  # the setup that built `sweep`
    running: bool = False
    error: str = ""  # why the last Train could not build a sweep
    dev_losses: list[float] | None = None  # each copy's loss on the whole dev split ...
    dev_step: int = -1  # ... measured at this step

    @property
    def stale(self) -> bool:
        return self.sweep is not None and self.identity != self.wanted

    @property
    def notice(self) -> str:
        return "The controls changed since this sweep started: Train sweep starts a new one." if self.stale else ""

    @property
    def step(self) -> int:
        return self.sweep.step if self.sweep is not None else 0

    @property
    def done(self) -> bool:
        return self.sweep is not None and self.sweep.done and not self.stale

    def start(self) -> None:
        if self.sweep is None or self.stale:
            try:
                self.sweep, self.identity, self.error = self.build(), self.wanted, ""
            except ConfigError as err:
                self.error = str(err)
                return
        self.running = True

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        done = self.sweep.advance_for(seconds, max_steps)
        if self.sweep.done and self.running:
            self.stop()
        return done

    def stop(self) -> None:
        """Pause or finish: each copy is measured on the whole dev split (the lecture's evaluation)."""
        self.running = False
        sweep = self.sweep
        if sweep is not None and sweep.step and self.dev_step != sweep.step and "dev" in sweep.data.splits:
            self.dev_losses, self.dev_step = sweep.evaluate("dev"), sweep.step

    def reset(self) -> SweepRun:
        return SweepRun(self.wanted, self.build)


def parse_values(text: str, low: float = -math.inf, high: float = math.inf) -> list[float]:
    """'0.5, 1, 5/3' -> [0.5, 1.0, 1.6667], each from low to high; a ValueError says what is wrong, for people
    (quoting a value cut short: the text may come from anyone)."""
    values = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        try:
            numerator, _, denominator = part.partition("/")
            value = float(numerator) / (float(denominator) if denominator else 1.0)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"'{cut(part, 20)}' is not a number (write e.g. 0.5, 1, 5/3)") from None
        if not math.isfinite(value):
            raise ValueError(f"'{cut(part, 20)}' is not a finite number")
        if not low <= value <= high:
            raise ValueError(f"'{cut(part, 20)}' is outside {low:g} to {high:g}")
        values.append(value)
    if not MIN_COPIES <= len(values) <= MAX_COPIES:
        raise ValueError(f"give {MIN_COPIES} to {MAX_COPIES} values, one per copy (got {len(values)})")
    return values


def sweep_panel(settings: SharedSettings) -> None:
    st.subheader("Sweep: copies side by side")
    st.caption("Train several copies of the deep net at once, the same init draws and the same minibatches, "
               "differing in one setting only, and compare their losses and tanh saturation on one chart each.")
    setting, values, batchnorm, steps = _controls()
    if values is None:
        return
    wanted = {"setting": setting, "values": values, "batchnorm": batchnorm, "steps": steps,
              "seed": settings.seed, "data": settings.data_key, "device": settings.device}
    build = partial(build_sweep, settings.data, settings.seed, settings.device, setting, values, batchnorm, steps)
    run: SweepRun = st.session_state.setdefault(STATE, SweepRun(wanted, build))
    run.wanted, run.build = wanted, build
    control_row(STATE, P, BUTTONS)
    if run.error:
        st.error(run.error)
    if run.sweep is None:
        st.info("Press Train sweep to start.")
        return
    export_menu(P)
    live_area(STATE, lambda current: draw(current))


def _controls() -> tuple[str, list[float] | None, bool, int]:
    cols = st.columns([1.4, 2, 1, 1.3])
    setting = cols[0].selectbox("What varies", list(WHAT_VARIES), format_func=lambda s: WHAT_VARIES[s][0],
                                key=f"{P}_setting", help="One setting differs between the copies; all else is equal.")
    label, default, help_text, (low, high) = WHAT_VARIES[setting]
    text = cols[1].text_input(f"{label} of each copy", value=default, key=f"{P}_values_{setting}",
                              max_chars=MAX_VALUES_CHARS,
                              help=f"{MIN_COPIES} to {MAX_COPIES} values from {low:g} to {high:g}, commas between "
                                   f"them. {help_text}")
    batchnorm = cols[2].toggle("BatchNorm", value=False, key=f"{P}_batchnorm",
                               help="A BatchNorm1d after every Linear. Compare a gain sweep with and without it.")
    steps = cols[3].select_slider("Steps", options=STEP_CHOICES, value=DEFAULT_STEPS, key=f"{P}_steps",
                                  help="Training steps of every copy (lr 0.1 unless the sweep varies it).")
    try:
        return setting, parse_values(text, low, high), batchnorm, steps
    except ValueError as err:
        st.error(f"Sweep values: {md(err, LONG)}.")
        return setting, None, batchnorm, steps


def build_sweep(data: WordData, seed: int, device: str, setting: str, values: list[float], batchnorm: bool,
                steps: int, threads: int = SWEEP_THREADS) -> Sweep:
    """The sweep the panel trains: part 3's deep net, with or without BatchNorm, at the lecture's lr 0.1."""
    base = DeepMLPConfig(batchnorm=batchnorm, gain=5 / 3 if not batchnorm else 1.0,
                         output_scale=0.1 if batchnorm else 0.01)
    train = TrainConfig(steps=steps, lr_decay_at=None, stats_every=10)
    return Sweep(base, train, data, seed, setting, values, device, threads=threads)


def draw(run: SweepRun) -> None:
    """Progress, the two charts, a table of the copies and which copy is best by dev loss."""
    sweep = run.sweep
    rate, load = shown_rate(run, sweep.steps_per_s) if sweep.step else ("", "")
    rate = f" · {rate} for {sweep.copies} copies{load}" if rate else ""
    st.progress(min(sweep.step / sweep.config.steps, 1.0), text=f"Step {sweep.step:,} of {sweep.config.steps:,}{rate}")
    left, right = side_by_side()
    with left:
        show_chart(sweep_loss_chart(sweep.loss_frame(), math.log(sweep.data.vocab.size)), P, "sweep loss")
    with right:
        show_chart(sweep_saturation_chart(sweep.saturation_frame()), P, "sweep saturation")
    dev = run.dev_losses if run.dev_step == sweep.step else None
    recent = max(50, sweep.step // 10)
    st.dataframe(copies_table(sweep, dev), hide_index=True,
                 column_config={"train loss, recent steps": st.column_config.NumberColumn(
                                    format="%.4f", help=f"The mean minibatch loss over the last {recent:,} steps."),
                                "dev loss": st.column_config.NumberColumn(
                                    format="%.4f", help="On the whole dev split, in eval mode, when the sweep "
                                                        "pauses or finishes: the lecture's evaluation."),
                                "saturated %": st.column_config.NumberColumn(format="%.1f")})
    st.caption(best_copy_sentence(sweep.labels, dev, sweep.diverged_at))
    diverged = [label for label, at in zip(sweep.labels, sweep.diverged_at) if at is not None]
    if diverged:
        st.warning(f"Diverged (the loss blew up; its line stops there): {', '.join(diverged)}.",
                   icon=":material/error:")


def copies_table(sweep: Sweep, dev_losses: list[float] | None) -> pd.DataFrame:
    """One row per copy: its setting, its recent training loss, its dev loss (when measured), its latest
    saturation, where it diverged."""
    last_saturation = sweep.last_saturation()
    return pd.DataFrame({
        "copy": sweep.labels,
        "train loss, recent steps": sweep.recent_losses(),
        "dev loss": dev_losses if dev_losses is not None else [math.nan] * sweep.copies,
        "saturated %": last_saturation.tolist() if last_saturation is not None else [math.nan] * sweep.copies,
        "diverged at step": [at if at is not None else "" for at in sweep.diverged_at],
    })


def best_copy_sentence(labels: list[str], dev_losses: list[float] | None, diverged_at: list) -> str:
    """Which copy generalizes best, by dev loss (not by the last minibatch: one noisy draw)."""
    if dev_losses is None:
        return ("Dev loss is measured on the whole dev split when the sweep pauses or finishes; the best copy is "
                "the one with the lowest dev loss.")
    healthy = [(loss, label) for loss, label, at in zip(dev_losses, labels, diverged_at)
               if at is None and math.isfinite(loss)]
    if not healthy:
        return "Every copy diverged: no copy has a dev loss to compare."
    loss, label = min(healthy)
    return (f"Best by dev loss: {label} ({loss:.4f}). A minibatch's loss is one noisy draw of 32 examples; the dev "
            "loss measures every copy on the same unseen words.")
