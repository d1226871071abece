"""Charts of a training run (part 3): loss, histograms, the saturation image, update:data."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .core import (HEIGHT, LOSS_PADDING, block_color_encoding, downsample, empty_chart, horizontal_guide,
                   layered, uniform_guess_guide)

PINNED_COLOR = "#9e9e9e"
UPDATE_POINTS = 150  # points per weight matrix on the update:data chart (several lines share it)


def smoothed(frame: pd.DataFrame, column: str, points: int = 40) -> pd.Series:
    """A trailing moving average over about len/points rows (at least 1)."""
    window = max(1, len(frame) // points)
    return frame[column].rolling(window, min_periods=1).mean()


def loss_chart(losses: pd.DataFrame, evals: pd.DataFrame | None = None, reference: float | None = None,
               lr_changes: pd.DataFrame | None = None, pinned: pd.DataFrame | None = None,
               log_scale: bool = True, height: int = HEIGHT) -> alt.Chart:
    """Training loss per step (faint) and smoothed, dev-loss points, the uniform-guess line,
    learning-rate changes as vertical rules, and pinned runs as grey overlays.

    losses: step, loss. evals: step, loss (dev). lr_changes: step, lr. pinned: run, step, loss.
    """
    losses = losses[np.isfinite(losses["loss"].to_numpy())]
    if losses.empty:
        return empty_chart("Press Train or Step to see the loss", height)
    losses = downsample(losses.assign(smoothed=smoothed(losses, "loss")))
    # the domain is the data's (every layer's, the guide's included), padded in pixels by Vega: a spec that
    # stays the same from tick to tick, so the browser updates the chart's data instead of rebuilding it
    y_scale = (alt.Scale(type="log", nice=False, padding=LOSS_PADDING) if log_scale else
               alt.Scale(zero=False, nice=False, padding=LOSS_PADDING))
    y_title = "loss (log scale)" if log_scale else "loss"
    y = alt.Y("loss:Q", title=y_title, scale=y_scale)
    x = alt.X("step:Q", title="training step")
    base = alt.Chart().encode(x=x)  # the layered chart's data: losses
    layers = [
        base.mark_line(opacity=0.25, strokeWidth=1, color="#1f77b4").encode(
            y=y, tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4f")]),
        base.mark_line(strokeWidth=2.5, color="#1f77b4").encode(
            y=alt.Y("smoothed:Q", scale=y_scale, title=y_title),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("smoothed:Q", title="smoothed loss", format=".4f")]),
    ]
    if pinned is not None and not pinned.empty:
        pinned = downsample(pinned.assign(smoothed=pinned.groupby("run")["loss"].transform(
            lambda s: s.rolling(max(1, len(s) // 40), min_periods=1).mean())), by="run")
        layers.insert(0, alt.Chart(pinned).mark_line(strokeWidth=2, strokeDash=[5, 3], opacity=0.8).encode(
            x=x, y=alt.Y("smoothed:Q", scale=y_scale, title=y_title), detail=alt.Detail("run:N"),
            color=alt.ColorValue(PINNED_COLOR),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("smoothed:Q", format=".4f")]))
    if evals is not None and not evals.empty:
        layers.append(alt.Chart(evals).mark_point(filled=True, size=60, color="#ff7f0e").encode(
            x=x, y=alt.Y("loss:Q", scale=y_scale),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", title="dev loss", format=".4f")]))
    if reference is not None:
        layers += uniform_guess_guide(reference, alt.XValue("width"), align="right")
    if lr_changes is not None and not lr_changes.empty:
        marks = lr_changes.assign(label=lr_changes["lr"].map(lambda lr: f"lr → {lr:.3g}"))
        layers.append(alt.Chart(marks).mark_rule(color="#9467bd", strokeDash=[2, 2]).encode(x=alt.X("step:Q")))
        layers.append(alt.Chart(marks).mark_text(align="left", dx=3, y=8, color="#9467bd").encode(
            x=alt.X("step:Q"), text=alt.Text("label:N")))
    return layered(*layers, data=losses, height=height)


def density_chart(frame: pd.DataFrame, x_title: str, height: int = HEIGHT, legend_title: str = "layer") -> alt.Chart:
    """Histogram curves (density against value), one line per layer, coloured by its block.

    frame: label, block, x, density (as the diagnostics histogram builders return).
    """
    if frame.empty:
        return empty_chart("No statistics yet: take a step", height)
    return alt.Chart(frame, height=height).mark_line(strokeWidth=2).encode(
        x=alt.X("x:Q", title=x_title),
        y=alt.Y("density:Q", title="density"),
        color=block_color_encoding(frame["block"], legend_title),
        detail=alt.Detail("label:N"),
        tooltip=[alt.Tooltip("label:N", title="layer"), alt.Tooltip("x:Q", format=".3g"),
                 alt.Tooltip("density:Q", format=".3g")],
    )


def saturation_image(frame: pd.DataFrame, height: int = 220) -> alt.Chart:
    """The lecture's imshow of |h| > 0.99: examples down, neurons across, white where saturated.

    frame: example, neuron, dead (every cell). Only the white cells are marks, on a black view: a live
    redraw then sends, and the browser draws, the saturated few instead of batch x width rects (3,200).
    """
    if frame.empty:
        return empty_chart("No statistics yet: take a step", height)
    examples, neurons = int(frame["example"].max()) + 1, int(frame["neuron"].max()) + 1
    hidden = alt.Axis(labels=False, ticks=False, grid=False)
    return alt.Chart(frame[frame["dead"]], height=height, view=alt.ViewBackground(fill="#000000")).mark_rect(
        strokeWidth=0).encode(
        x=alt.X("neuron:O", title="neuron", axis=hidden, scale=alt.Scale(domain=list(range(neurons)))),
        y=alt.Y("example:O", title="example in the batch", axis=hidden, scale=alt.Scale(domain=list(range(examples)))),
        color=alt.Color("dead:N", scale=alt.Scale(domain=[False, True], range=["#000000", "#ffffff"]),
                        legend=alt.Legend(title="|h| > 0.99", symbolStrokeColor="#888888", symbolStrokeWidth=1,
                                          labelExpr="datum.label == 'true' ? 'yes' : 'no'")),
        tooltip=[alt.Tooltip("example:O"), alt.Tooltip("neuron:O"), alt.Tooltip("dead:N", title="saturated")],
    )


def update_ratio_chart(frame: pd.DataFrame, pinned: pd.DataFrame | None = None, guide: float = -3.0,
                       height: int = HEIGHT) -> alt.Chart:
    """log10(update std / data std) over steps, one line per weight matrix, with the -3 guide line.

    frame: step, name, block, log10_ratio. pinned: run, step, name, log10_ratio.
    """
    if frame.empty:
        return empty_chart("No update:data ratios yet: train a few steps", height)
    frame = downsample(frame, UPDATE_POINTS, by="name")
    x = alt.X("step:Q", title="training step")
    y = alt.Y("log10_ratio:Q", title="log10(update std / data std)")
    layers = []
    if pinned is not None and not pinned.empty:
        layers.append(alt.Chart(downsample(pinned, UPDATE_POINTS, by=["run", "name"])).mark_line(
            strokeDash=[5, 3], opacity=0.6, color=PINNED_COLOR).encode(
            x=x, y=y, detail=alt.Detail("key:N"), tooltip=[alt.Tooltip("run:N"),
                alt.Tooltip("name:N")]).transform_calculate(
            key="datum.run + ' ' + datum.name"))
    layers.append(alt.Chart(frame).mark_line(strokeWidth=1.8).encode(
        x=x, y=y, color=block_color_encoding(frame["block"]), detail=alt.Detail("name:N"),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("step:Q"), alt.Tooltip("log10_ratio:Q", format=".2f")]))
    layers += healthy_pace_guide(guide)
    return layered(*layers, height=height)


def healthy_pace_guide(guide: float = -3.0) -> list[alt.Chart]:
    """The update:data charts' dashed line at log10 ratio `guide`, labelled as the lecture's rule of thumb."""
    return horizontal_guide(guide, f"1e{guide:g}: a healthy pace", "black")
