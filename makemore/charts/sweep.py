"""Charts of a sweep: every copy's loss and saturation in one chart, coloured in the order of its value."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .core import HEIGHT, LOSS_PADDING, downsample, empty_chart, layered, uniform_guess_guide

COPY_SCHEME = "viridis"  # low values dark, high values light: the order of the swept setting reads at a glance
COPY_POINTS = 400  # points per copy on each chart: a half-width chart shows no more, and 16 copies redraw quickly


def copy_color(frame: pd.DataFrame) -> alt.Color:
    """One colour per copy, in the order of the swept value, with a legend."""
    order = frame.drop_duplicates("copy").sort_values("value")["copy"].tolist()
    return alt.Color("copy:N", sort=order, scale=alt.Scale(domain=order, scheme=COPY_SCHEME),
                     legend=alt.Legend(title=None, orient="right"))


def sweep_loss_chart(frame: pd.DataFrame, reference: float | None = None, height: int = HEIGHT) -> alt.Chart:
    """Each copy's training loss, smoothed, on a log axis, with the uniform-guess line.

    frame: step, copy, value, loss (as Sweep.loss_frame() gives it).
    """
    frame = frame[np.isfinite(frame["loss"].to_numpy())]
    if frame.empty:
        return empty_chart("Press Train sweep to see the copies' losses", height)
    window = max(1, frame["step"].nunique() // 40)
    frame = frame.assign(smoothed=frame.groupby("copy")["loss"].transform(
        lambda s: s.rolling(window, min_periods=1).mean()))
    # the copies' range (and the guide's), not Vega's 1-10 decade: their differences are a few hundredths of a
    # unit; found by Vega, so the spec stays the same from tick to tick and the browser only updates the data
    scale = alt.Scale(type="log", nice=False, padding=LOSS_PADDING)
    layers = [alt.Chart(downsample(frame, COPY_POINTS, by="copy")).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("smoothed:Q", title="loss (smoothed, log scale)", scale=scale),
        color=copy_color(frame),
        tooltip=[alt.Tooltip("copy:N"), alt.Tooltip("step:Q"), alt.Tooltip("smoothed:Q", title="loss", format=".4f")])]
    if reference is not None:
        layers += uniform_guess_guide(reference)
    return layered(*layers, height=height)


def sweep_saturation_chart(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Each copy's share of saturated hidden units (|tanh| > 0.97, %) over training.

    frame: step, copy, value, saturated_pct (as Sweep.saturation_frame() gives it).
    """
    if frame.empty:
        return empty_chart("No saturation yet: train the sweep a few steps", height)
    return alt.Chart(downsample(frame, COPY_POINTS, by="copy"), height=height).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("saturated_pct:Q", title="saturated hidden units (%)", scale=alt.Scale(domain=[0, 100])),
        color=copy_color(frame),
        tooltip=[alt.Tooltip("copy:N"), alt.Tooltip("step:Q"), alt.Tooltip("saturated_pct:Q", title="saturated %",
            format=".1f")],
    )
