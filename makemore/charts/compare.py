"""Charts that overlay several runs: one colour per run."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, LOSS_PADDING, downsample, empty_chart, layered, window_means
from .training import healthy_pace_guide

RUN_COLOR = dict(scale=alt.Scale(scheme="category10"), title="run",
                 legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=600))
LEGEND_PX = 80  # the bottom legend's title and margins in Streamlit's theme (measured in Chromium) ...
LEGEND_ROW_PX = 20  # ... and each run's row in it


def with_legend(height: int, runs: int) -> int:
    """The chart's height for a plot of `height` pixels: Streamlit fits the whole chart, the legend of
    `runs` rows below it included, in the height it is given."""
    return height + LEGEND_PX + LEGEND_ROW_PX * runs


def runs_loss_chart(losses: pd.DataFrame, evals: pd.DataFrame | None = None, log_scale: bool = True,
                    height: int = HEIGHT) -> alt.Chart:
    """Each run's training loss as means over windows of steps (lines) and its dev loss (points).
    losses/evals: run, step, loss."""
    if losses.empty:
        return empty_chart("Pick runs that trained to compare their losses", height)
    frame = window_means(losses, by="run")
    scale = alt.Scale(type="log" if log_scale else "linear", zero=False, nice=False, padding=LOSS_PADDING)
    color = alt.Color("run:N", **RUN_COLOR)
    layers = [alt.Chart(frame).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("loss:Q", title="training loss, window means" + (" (log scale)" if log_scale else ""), scale=scale),
        color=color, tooltip=[alt.Tooltip("run:N"), alt.Tooltip("first:Q", title="from step"),
                              alt.Tooltip("last:Q", title="to step"),
                              alt.Tooltip("loss:Q", title="mean loss", format=".4f")])]
    if evals is not None and not evals.empty:
        layers.append(alt.Chart(evals).mark_point(filled=True, size=70).encode(
            x=alt.X("step:Q"), y=alt.Y("loss:Q", scale=scale), color=color, shape=alt.ShapeValue("diamond"),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", title="dev loss",
                format=".4f")]))
    return layered(*layers, height=with_legend(height, losses["run"].nunique()))


def runs_update_chart(frame: pd.DataFrame, guide: float = -3.0, height: int = HEIGHT) -> alt.Chart:
    """One parameter's log10 update:data ratio in each run. frame: run, step, log10_ratio."""
    if frame.empty:
        return empty_chart("No update:data ratios recorded for these runs", height)
    lines = alt.Chart(downsample(frame, by="run")).mark_line(strokeWidth=1.8).encode(
        x=alt.X("step:Q", title="training step"), y=alt.Y("log10_ratio:Q", title="log10(update std / data std)"),
        color=alt.Color("run:N", **RUN_COLOR),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("log10_ratio:Q", format=".2f")])
    return layered(lines, *healthy_pace_guide(guide), height=with_legend(height, frame["run"].nunique()))
