"""Inside the Models page's run: the loss, and tabs of module activations, gradients, parameters and, for the
Transformer and the recurrent nets, what they compute while reading one name."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from makemore.charts.models import attention_chart, hidden_state_chart
from makemore.charts.training import density_chart, loss_chart, update_ratio_chart
from makemore.data import MAX_WORD_CHARS, DataError
from makemore.lessons import models as inspect
from ui import runs
from ui.export import show_chart
from ui.lesson import dev_points
from ui.live import EVAL_EVERY, EVAL_EXAMPLES, LiveRun, status_line
from ui.presentation import chart_height
from ui.state import persistent_widget
from ui.text import code, md


def default_modules(names: list[str]) -> list[str]:
    """What to plot first: the nonlinearity outputs (the lecture's tanh histograms) and the recurrence."""
    return [n for n in names if n.endswith("act") or n == "rnn"] or names[-1:]


def loss_section(current: LiveRun, prefix: str) -> None:
    trainer = current.trainer
    lr_changes = pd.DataFrame(trainer.lr_changes, columns=["step", "lr"])
    show_chart(loss_chart(runs.loss_curve(trainer), dev_points(trainer), math.log(trainer.model.config.vocab_size),
                          lr_changes, height=chart_height()),
               prefix, "loss", title="Loss per character: train per step and dev")
    st.caption(f"Each step's loss is the mean over every character of {trainer.config.batch_size} names; orange "
               f"dots are the dev loss ({EVAL_EXAMPLES:,} dev examples) every {EVAL_EVERY:,} steps; red dashes are a "
               "uniform guess.")


def module_histograms(current: LiveRun, prefix: str, which: str, key: str, x_title: str, chart_name: str,
                      help_text: str) -> None:
    """A multiselect of the model's modules and the histograms of their outputs ("out") or gradients ("grad")."""
    model, snap = current.trainer.model, current.trainer.snapshot
    names = model.layer_names
    chosen = st.multiselect("Modules", names, default=default_modules(names), key=f"{prefix}_{key}_{len(names)}",
                            help=help_text)
    show_chart(density_chart(inspect.module_histograms(snap, model, chosen, which), x_title, chart_height()),
               prefix, chart_name)


def activations_tab(current: LiveRun, prefix: str) -> None:
    module_histograms(current, prefix, "out", "modules", "module output", "activations",
                      "Which modules' outputs to draw. Every module is hooked: a forward hook keeps its output, "
                      "so the same histograms work for any architecture.")
    st.dataframe(inspect.module_table(current.trainer.snapshot, current.trainer.model), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ["mean", "std", "grad_mean", "grad_std"]})
    st.caption("One row per module: its output's mean and std over the batch, and the same for d loss / d output. "
               "LayerNorm outputs sit at std 1 by construction; a nonlinearity whose std collapses is dying.")


def gradients_tab(current: LiveRun, prefix: str) -> None:
    module_histograms(current, prefix, "grad", "grad_modules", "d loss / d (module output)", "gradients",
                      "Which modules' output gradients to draw (kept by retain_grad on recorded steps).")
    st.caption("Similar spreads from the last module back to the first mean the gradient neither vanishes nor "
               "explodes on the way: the residual connections and LayerNorm are what keep a deep Transformer so.")


def parameters_tab(current: LiveRun, prefix: str) -> None:
    trainer = current.trainer
    table = inspect.parameter_frame(trainer.snapshot, trainer.model)
    st.dataframe(table[["name", "block", "shape", "grad_std", "data_std", "grad_data_ratio", "update_data_log10"]]
                 .rename(columns={"grad_data_ratio": "grad:data", "update_data_log10": "log10 update:data"}),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.3g")
                                                 for c in ["grad_std", "data_std", "grad:data", "log10 update:data"]})
    weights = [name for name, p in trainer.model.named_parameters() if p.ndim == 2]
    curve = inspect.update_frame(trainer)
    show_chart(update_ratio_chart(curve[curve["name"].isin(weights)], height=chart_height()), prefix,
               "update-data ratio")
    st.caption("log10 of how much a step changes each weight matrix relative to its size. AdamW normalizes the "
               "step, so the ratios sit closer together than with SGD; about -3 (dashed) is a healthy pace.")


def name_input(current: LiveRun, prefix: str) -> str:
    words = current.trainer.data.words
    return persistent_widget(st.text_input, f"{prefix}_name", words[0], label="A name to read",
                             max_chars=MAX_WORD_CHARS, help="The model reads this name character by character (after the boundary token) "
                                  "and the charts show what it computed at each position.")


def name_tab(current: LiveRun, prefix: str, frame_of, chart_of, chart_name: str, caption: str) -> None:
    """A chart of what the model computes while it reads one name (chosen in a text box)."""
    model, vocab = current.trainer.model, current.trainer.data.vocab
    name = name_input(current, prefix)
    try:
        frame = frame_of(model, vocab, name)
    except DataError as err:
        st.warning(f"Cannot read {code(name)}: {md(err)}", icon=":material/warning:")
        return
    show_chart(chart_of(frame), prefix, chart_name)
    st.caption(caption)


def attention_tab(current: LiveRun, prefix: str) -> None:
    name_tab(current, prefix, inspect.attention_frame, attention_chart, "attention",
             "One square per head and block. Row: the position reading; column: the position it takes "
             "information from; darker is more weight. Each row sums to 1 and nothing is above the diagonal: "
             "a position never sees the future. Early heads often look at the previous character or the start.")


def hidden_state_tab(current: LiveRun, prefix: str) -> None:
    name_tab(current, prefix, inspect.hidden_state_frame, lambda frame: hidden_state_chart(frame, chart_height(320)),
             "hidden states",
             "Column t is the hidden state after reading character t: red +1, blue -1. Units stuck at ±1 are "
             "saturated; units that change colour at a vowel or near the end are tracking something.")


def draw(current: LiveRun, prefix: str) -> None:
    """What the live area redraws on each tick."""
    status_line(current)
    loss_section(current, prefix)
    if current.trainer.snapshot is None:
        st.info("Take a step (or press Train) to see inside the model.", icon=":material/info:")
        return
    family = current.trainer.model.config.family
    inside = {"transformer": ("Attention maps", attention_tab), "rnn": ("Hidden states", hidden_state_tab),
              "gru": ("Hidden states", hidden_state_tab)}.get(family)
    titles = ["Activations", "Gradients", "Parameters"] + ([inside[0]] if inside else [])
    tabs = st.tabs(titles)
    for tab, show in zip(tabs, [activations_tab, gradients_tab, parameters_tab] + ([inside[1]] if inside else [])):
        with tab:
            show(current, prefix)
    st.caption(f"Histograms and tables show the batch of step {current.trainer.snapshot.step:,}.")


